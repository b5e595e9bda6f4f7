"""Frames of the second-generation resident ID card reader (居民身份证阅读器, GA 450).

A request is ``AA AA AA 96 69 | len(2, big-endian) | cmd | para | data | xor``; a reply is
``AA AA AA 96 69 | len | SW1 SW2 SW3 | data | xor``, where ``len`` counts the bytes after
itself (checksum included) and the checksum is the XOR of every byte from ``len`` on.
SW3 is 0x90 for success, 0x9F for "card found", 0x80/0x81 for "no card" and failures.

The basic-information reply carries 256 bytes of UCS-2LE text in fixed fields and a
1024-byte photo in the reader's own compressed (WLT) format, which needs the vendor's
decoder: the photo is returned as raw bytes and never stored.
"""
from __future__ import annotations

from dataclasses import dataclass

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASIC = (0x30, 0x01)
SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CARD = 0x80

# (field, width in bytes) of the 256-byte text block, in order.
TEXT_FIELDS = (("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70),
               ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16),
               ("reserved", 36))
TEXT_SIZE = 256
PHOTO_SIZE = 1024


class FrameError(ValueError):
    """A frame that is cut, has a bad preamble, or fails its checksum."""


def _xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([_xor(length + body)])


def request(command: tuple[int, int], data: bytes = b"") -> bytes:
    return _frame(bytes(command) + data)


def reply(sw3: int, data: bytes = b"") -> bytes:
    return _frame(bytes([0x00, 0x00, sw3]) + data)


def frame_length(head: bytes) -> int:
    """Total size of the frame whose first 7 bytes are ``head``."""
    if len(head) < 7 or head[:5] != PREAMBLE:
        raise FrameError("bad preamble")
    return 7 + int.from_bytes(head[5:7], "big")


def parse(frame: bytes) -> bytes:
    """The body (between length and checksum) of a complete, checked frame."""
    total = frame_length(frame[:7])
    if len(frame) != total:
        raise FrameError(f"frame is {len(frame)} bytes, header says {total}")
    body, checksum = frame[7:-1], frame[-1]
    if _xor(frame[5:-1]) != checksum:
        raise FrameError("checksum mismatch")
    return body


@dataclass(frozen=True)
class CardData:
    """What the card says; kept only for the session that read it."""

    name: str
    sex: str
    nation: str
    birth: str
    address: str
    id_number: str
    authority: str
    valid_from: str
    valid_to: str
    photo_wlt: bytes = b""

    def __repr__(self) -> str:  # never print personal data into a log by accident
        return "CardData(<redacted>)"


def encode_text(card: CardData) -> bytes:
    out = b""
    for name, width in TEXT_FIELDS:
        value = "" if name == "reserved" else getattr(card, name)
        raw = value.encode("utf-16-le")[:width]
        out += raw + " ".encode("utf-16-le") * ((width - len(raw)) // 2)
    return out


def decode_basic(data: bytes) -> CardData:
    """Parse the data of a READ_BASIC reply: text length, photo length, text, photo."""
    if len(data) < 4:
        raise FrameError("basic information too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    text = data[4:4 + text_len]
    photo = data[4 + text_len:4 + text_len + photo_len]
    if len(text) < TEXT_SIZE:
        raise FrameError("text block cut short")
    fields, offset = {}, 0
    for name, width in TEXT_FIELDS:
        fields[name] = text[offset:offset + width].decode("utf-16-le", "replace").strip()
        offset += width
    fields.pop("reserved")
    return CardData(photo_wlt=bytes(photo), **fields)


def encode_basic(card: CardData) -> bytes:
    photo = card.photo_wlt[:PHOTO_SIZE].ljust(PHOTO_SIZE, b"\x00")
    return TEXT_SIZE.to_bytes(2, "big") + PHOTO_SIZE.to_bytes(2, "big") + encode_text(card) + photo
