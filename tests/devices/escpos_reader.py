"""A small, strict ESC/POS reader for tests: turns a printer byte stream back into lines.

It knows the commands our receipts may use and fails on any other (so a stray control
byte in the stream, e.g. from unescaped text, is caught). Text in Chinese mode
(``FS &`` ... ``FS .``) is decoded as GB18030; outside it only printable ASCII is allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Printed:
    lines: list[str] = field(default_factory=list)
    bold_lines: list[str] = field(default_factory=list)
    big_lines: list[str] = field(default_factory=list)
    qr_payloads: list[str] = field(default_factory=list)
    cuts: int = 0
    chinese_mode_bytes: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class EscposParseError(ValueError):
    pass


def read(data: bytes) -> Printed:
    out = Printed()
    i, n = 0, len(data)
    line = bytearray()
    chinese = bold = big = False
    line_bold = line_big = False
    qr_store = b""

    def end_line() -> None:
        nonlocal line_bold, line_big
        text = line.decode("gb18030")
        out.lines.append(text)
        if line_bold and text.strip():
            out.bold_lines.append(text)
        if line_big and text.strip():
            out.big_lines.append(text)
        line.clear()
        line_bold, line_big = bold, big

    def need(k: int) -> bytes:
        if i + k > n:
            raise EscposParseError(f"command cut short at byte {i}")
        return data[i:i + k]

    while i < n:
        b = data[i]
        if b == 0x0A:
            end_line()
            i += 1
        elif b == 0x1B:  # ESC
            cmd = need(2)[1:2]
            if cmd == b"@":
                chinese = bold = big = False
                i += 2
            elif cmd == b"!":
                big = bool(need(3)[2] & 0x30)
                i += 3
            elif cmd in (b"E", b"a", b"t", b"d", b"-", b"M", b"G"):
                arg = need(3)[2]
                if cmd == b"E":
                    bold = bool(arg)
                elif cmd == b"d":
                    for _ in range(arg):
                        end_line()
                i += 3
            else:
                raise EscposParseError(f"unknown ESC {cmd!r} at byte {i}")
            if not line:
                line_bold, line_big = bold, big
            else:
                line_bold, line_big = line_bold or bold, line_big or big
        elif b == 0x1D:  # GS
            cmd = need(2)[1:2]
            if cmd == b"!":
                big = bool(need(3)[2])
                i += 3
            elif cmd == b"V":
                mode = need(3)[2]
                i += 4 if mode in (65, 66) else 3
                out.cuts += 1
            elif cmd == b"(":
                head = need(5)
                if head[2:3] != b"k":
                    raise EscposParseError(f"unknown GS ( {head[2:3]!r} at byte {i}")
                size = head[3] + 256 * head[4]
                body = need(5 + size)[5:]
                cn, fn = body[0:1], body[1:2]
                if cn != b"1":
                    raise EscposParseError("2D code other than QR")
                if fn == b"P":
                    qr_store = body[3:]
                elif fn == b"Q":
                    out.qr_payloads.append(qr_store.decode("utf-8"))
                i += 5 + size
            else:
                raise EscposParseError(f"unknown GS {cmd!r} at byte {i}")
        elif b == 0x1C:  # FS
            cmd = need(2)[1:2]
            if cmd == b"&":
                chinese = True
            elif cmd == b".":
                chinese = False
            else:
                raise EscposParseError(f"unknown FS {cmd!r} at byte {i}")
            i += 2
        elif b < 0x20 or b == 0x7F:
            raise EscposParseError(f"stray control byte {b:#04x} at byte {i}")
        elif b >= 0x80:
            if not chinese:
                raise EscposParseError(f"byte {b:#04x} outside Chinese mode at byte {i}")
            # one GB18030 character: 2 bytes, or 4 when the second is a digit
            width = 4 if 0x30 <= need(2)[1] <= 0x39 else 2
            line.extend(need(width))
            out.chinese_mode_bytes += width
            i += width
        else:
            line.append(b)
            i += 1
    if line:
        end_line()
    return out
