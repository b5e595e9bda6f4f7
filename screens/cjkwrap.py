"""Line breaking for Chinese text, which Kivy 2.3.1 wraps at any character.

Kivy breaks a line wherever the width runs out, so a line can start with "，" or "。"
and a Latin word or number can be cut in two. This module inserts the line breaks
itself, following the basic Chinese rule (no closing punctuation at the start of a
line, no opening bracket at the end) and keeping runs of Latin letters/digits whole.
"""
import re

from kivy.core.text import Label as CoreLabel

NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…·—,.;:?!)%")
NO_LINE_END = set("（《「『【〔〈“‘(")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
TOKEN = re.compile(r"[A-Za-z0-9_\-*/.:@]+|\s|.", re.S)


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def wrap(text: str, width: float, font_name: str, font_size: float, bold: bool = False) -> str:
    """`text` with newlines inserted so each line fits `width` pixels."""
    measurer = CoreLabel(font_name=font_name, font_size=font_size, bold=bold)
    measure = lambda s: measurer.get_extents(s)[0]  # noqa: E731
    return "\n".join(_wrap_paragraph(p, width, measure) for p in text.split("\n"))


def _wrap_paragraph(paragraph, width, measure):
    tokens = TOKEN.findall(paragraph)
    lines, line = [], []
    for token in tokens:
        if line and measure("".join(line) + token) > width:
            carry = []
            # keep closing punctuation with the character before it
            if token[0] in NO_LINE_START and len(line) > 1:
                carry.insert(0, line.pop())
            while len(line) > 1 and line[-1] and line[-1][-1] in NO_LINE_END:
                carry.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = carry
            if token.isspace() and not line:
                continue
        line.append(token)
    lines.append("".join(line).rstrip())
    # no lone character on the last line ("内蒙古自治" / "区"): take one more along
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2 and has_cjk(lines[-1]):
        lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
    return "\n".join(lines)


def text_height(text: str, width: float, font_name: str, font_size: float, bold: bool = False) -> int:
    """Height in pixels of `text` laid out by Kivy at `width`."""
    probe = CoreLabel(text=text, font_name=font_name, font_size=font_size, bold=bold,
                      text_size=(width, None))
    probe.refresh()
    return probe.texture.size[1]
