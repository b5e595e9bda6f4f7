"""Automatic checks of the design rules on whatever is on screen (run at each screenshot).

They catch what is easy to miss by eye: text cut off by its box, small fonts, small or
overlapping buttons, catalogue keys shown instead of text. Looking at the screenshots
is still needed for glyphs (empty boxes) and overall balance.
"""
import re

from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

MIN_FONT = 36
MIN_BUTTON = 120
KEY_PATTERN = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
CJK = re.compile(r"[\u3400-\u9fff]")


def visible_widgets():
    """Widgets a person can see (and touch): only the top modal view when one is open."""
    roots = list(Window.children)
    modal = next((w for w in roots if isinstance(w, ModalView)), None)
    out = []

    def visit(widget):
        if widget.opacity <= 0.01 or widget.width <= 0 or widget.height <= 0:
            return
        out.append(widget)
        for child in reversed(widget.children):
            visit(child)

    for root in ([modal] if modal is not None else roots):
        visit(root)
    return out


def plain_text(widget) -> str:
    """A widget's text without the line breaks the CJK wrapper inserted."""
    text = getattr(widget, "source_text", None) or getattr(widget, "text", "")
    return str(text).replace("\n", "") if isinstance(text, str) else ""


def _rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _needed_height(label):
    """Height the label's text needs when wrapped at its current text width."""
    options = dict(label._label.options)
    options["text_size"] = (label.text_size[0], None)
    probe = CoreLabel(**options)
    probe.text = label.text
    probe.refresh()
    return probe.texture.size[1]


def layout_problems():
    problems = []
    buttons = []
    for widget in visible_widgets():
        if not isinstance(widget, Label) or not str(widget.text).strip():
            continue
        name = getattr(widget, "kiosk_id", "") or widget.text[:20]
        if widget.font_size < MIN_FONT:
            problems.append(f"{name}: font {widget.font_size:.0f}px < {MIN_FONT}px")
        if KEY_PATTERN.match(widget.text):
            problems.append(f"{name}: untranslated key {widget.text!r}")
        if widget.text_size[0]:
            needed = _needed_height(widget)
            if needed > widget.height + 2 or widget.texture_size[1] < needed - 2:
                problems.append(f"{name}: text does not fit (needs {needed}px, has {widget.height:.0f}px)")
        elif widget.texture_size[0] > widget.width + 2:
            problems.append(f"{name}: text wider than its box")
        lines = widget.text.split("\n")
        if len(lines) > 1 and len(lines[-1].strip()) == 1 and CJK.search(lines[-1]):
            problems.append(f"{name}: lone character on the last line {widget.text!r}")
        x0, y0, x1, y1 = _rect(widget)
        if x0 < -1 or y0 < -1 or x1 > Window.width + 1 or y1 > Window.height + 1:
            problems.append(f"{name}: outside the window")
        if hasattr(widget, "kiosk_id") and hasattr(widget, "style"):  # a KButton
            if widget.height < MIN_BUTTON or widget.width < MIN_BUTTON:
                problems.append(f"{name}: button {widget.width:.0f}x{widget.height:.0f} < {MIN_BUTTON}px")
            buttons.append((name, _rect(widget)))
    for i, (name_a, a) in enumerate(buttons):
        for name_b, b in buttons[i + 1:]:
            if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1:
                problems.append(f"buttons overlap: {name_a} / {name_b}")
    return problems
