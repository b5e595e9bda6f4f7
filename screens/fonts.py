"""Find a font with Chinese glyphs and make it Kivy's default.

Kivy's bundled Roboto has no CJK glyphs (Chinese renders as empty boxes) and Kivy 2.3.1
has no font fallback, so the CJK font must be the default for every label.
"""
import os
from pathlib import Path

# Debian/Ubuntu package paths: fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
ENV_VAR = "KIOSK_CJK_FONT"


class FontNotFound(RuntimeError):
    """No font able to draw Chinese was found."""


def find_cjk_font() -> Path:
    """Return the first CJK font found: $KIOSK_CJK_FONT, then the known system paths."""
    override = os.environ.get(ENV_VAR)
    if override:
        if Path(override).is_file():
            return Path(override)
        raise FontNotFound(f"{ENV_VAR}={override} does not exist")
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontNotFound(
        "No Chinese (CJK) font found; the kiosk cannot show Chinese text. "
        "Install one (Debian: apt-get install fonts-wqy-microhei) or set "
        f"{ENV_VAR} to a .ttf/.ttc/.otf file. Looked in: " + ", ".join(CANDIDATES)
    )


def register_default_font() -> Path:
    """Register the CJK font as Kivy's DEFAULT_FONT (regular and bold) and return its path."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = str(find_cjk_font())
    LabelBase.register(DEFAULT_FONT, fn_regular=path, fn_bold=path)
    return Path(path)
