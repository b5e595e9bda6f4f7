"""Colours and sizes for the kiosk screens, in one place.

Sized for a 1280x800 touch panel viewed by people with poor eyesight: every touch target
is at least 120 px high and no text is smaller than 36 px. Colours are high-contrast
pairs (white on dark blue/red/green/grey, near-black on off-white), all above 7:1.
"""

# text sizes (px)
FONT_MIN = 36
FONT_BODY = 40
FONT_BUTTON = 44
FONT_TITLE = 56
FONT_HUGE = 72
FONT_TOPBAR = 36

# layout (px)
TOPBAR_H = 140
TITLE_H = 80
FOOTER_H = 145
BUTTON_H = 130
BIG_BUTTON_H = 160
PAD = 24
SPACING = 20
RADIUS = 18

# colours (rgba 0..1)
BG = (0.96, 0.96, 0.94, 1)
TEXT = (0.07, 0.07, 0.09, 1)
TEXT_MUTED = (0.22, 0.22, 0.26, 1)
TOPBAR_BG = (0.06, 0.16, 0.27, 1)
TOPBAR_TEXT = (1, 1, 1, 1)
ERROR_TEXT = (0.65, 0.08, 0.06, 1)
SUCCESS_TEXT = (0.06, 0.40, 0.12, 1)
CARD_BG = (1, 1, 1, 1)
CARD_BORDER = (0.04, 0.31, 0.61, 1)

# button styles: (background, background when pressed, text)
BUTTON_STYLES = {
    "primary": ((0.04, 0.31, 0.61, 1), (0.02, 0.18, 0.38, 1), (1, 1, 1, 1)),
    "danger": ((0.70, 0.15, 0.12, 1), (0.45, 0.08, 0.06, 1), (1, 1, 1, 1)),
    "success": ((0.08, 0.42, 0.16, 1), (0.04, 0.26, 0.09, 1), (1, 1, 1, 1)),
    "secondary": ((0.27, 0.35, 0.39, 1), (0.15, 0.20, 0.23, 1), (1, 1, 1, 1)),
    "choice": ((1, 1, 1, 1), (0.80, 0.87, 0.96, 1), (0.07, 0.07, 0.09, 1)),
    "topbar": ((0.16, 0.30, 0.45, 1), (0.09, 0.19, 0.30, 1), (1, 1, 1, 1)),
}
DISABLED_BG = (0.62, 0.64, 0.66, 1)
DISABLED_TEXT = (0.15, 0.15, 0.17, 1)
