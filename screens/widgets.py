"""Building blocks shared by every screen: big buttons, labels, panels, a paged choice pad.

Texts are never written inline: a widget gets a catalogue key (`tr_key`, with optional
`tr_kw`) and asks the running app's core for the translation, so switching language
only needs `retranslate()`. `kiosk_id` names a widget for the UI test driver.
"""
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty, ColorProperty, DictProperty, ListProperty, NumericProperty,
    ObjectProperty, StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from screens import cjkwrap, theme

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))


def tr(key: str, **kw) -> str:
    """Translate a catalogue key through the running app's core."""
    app = App.get_running_app()
    return app.core.tr(key, **kw) if app is not None else key


class Translatable:
    """Mixin: text follows `tr_key`/`tr_kw`; `kiosk_id` identifies the widget in tests.

    It also lays the text out for the box: Chinese line breaks (see `cjkwrap`) and, when
    a translation is too long for its box, a smaller font (never below theme.FONT_MIN).
    `source_text` keeps the text without the inserted line breaks.
    """

    def _init_translatable(self):
        self.source_text = self.text
        self.base_font_size = self.font_size
        self._applying = False
        self._relayout_trigger = Clock.create_trigger(self._relayout, -1)
        self.bind(tr_key=self.refresh_text, tr_kw=self.refresh_text, text=self._text_set,
                  font_size=self._font_set, size=self._relayout_trigger,
                  text_size=self._relayout_trigger)
        self.refresh_text()
        self._relayout_trigger()

    def refresh_text(self, *_):
        """Re-read the text from the catalogue (no-op for widgets with literal text)."""
        if self.tr_key:
            self.text = tr(self.tr_key, **self.tr_kw)

    def _text_set(self, *_):
        if not self._applying:
            self.source_text = self.text
            self._relayout_trigger()

    def _font_set(self, *_):
        if not self._applying:
            self.base_font_size = self.font_size
            self._relayout_trigger()

    def _relayout(self, *_):
        width = self.text_size[0] if self.text_size and self.text_size[0] else None
        if not self.source_text or not width or width <= 1:
            return
        size = self.base_font_size
        while True:
            text = self.source_text
            if cjkwrap.has_cjk(text):
                text = cjkwrap.wrap(text, width, self.font_name, size, self.bold)
            if (self.height <= 1 or size <= theme.FONT_MIN
                    or cjkwrap.text_height(text, width, self.font_name, size, self.bold) <= self.height):
                break
            size = max(theme.FONT_MIN, size - 4)
        self._applying = True
        try:
            self.font_size, self.text = size, text
        finally:
            self._applying = False


class KLabel(Translatable, Label):
    """Large, wrapped, centred label."""

    tr_key = StringProperty("")
    tr_kw = DictProperty()
    kiosk_id = StringProperty("")

    def __init__(self, **kw):
        super().__init__(**kw)
        self._init_translatable()


class KButton(Translatable, ButtonBehavior, Label):
    """Flat, rounded, high-contrast button at least 120 px high."""

    tr_key = StringProperty("")
    tr_kw = DictProperty()
    kiosk_id = StringProperty("")
    style = StringProperty("primary")
    current_bg = ColorProperty(theme.BUTTON_STYLES["primary"][0])
    fg = ColorProperty(theme.BUTTON_STYLES["primary"][2])
    value = ObjectProperty(None, allownone=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.bind(style=self._restyle, state=self._restyle, disabled=self._restyle)
        self._restyle()
        self._init_translatable()

    def _restyle(self, *_):
        bg, bg_down, fg = theme.BUTTON_STYLES[self.style]
        if self.disabled:
            self.current_bg = theme.DISABLED_BG
        else:
            self.current_bg = bg_down if self.state == "down" else bg
        self.fg = fg


class Panel(BoxLayout):
    """BoxLayout with a solid background colour."""

    bg = ColorProperty(theme.BG)


class Card(BoxLayout):
    """White box with a blue border, for one item of a list."""


def retranslate(root: Widget) -> None:
    """Refresh every translatable text under `root`."""
    for widget in root.walk(restrict=True):
        if isinstance(widget, Translatable):
            widget.refresh_text()


class ChoicePad(GridLayout):
    """A grid of big choice buttons, one page at a time.

    `items` is a list of (value, label) with labels already translated by the core.
    The pager buttons live in `pager` so a screen can put them in its footer.
    """

    items = ListProperty()
    page = NumericProperty(0)
    per_page = NumericProperty(9)
    chosen_callback = ObjectProperty(None)
    id_prefix = StringProperty("choice")
    has_pages = BooleanProperty(False)

    def __init__(self, **kw):
        kw.setdefault("cols", 3)
        kw.setdefault("spacing", 12)
        super().__init__(**kw)
        self.prev_button = KButton(tr_key="ui.nav.prev_page", style="secondary",
                                   kiosk_id=f"{self.id_prefix}.prev", on_release=lambda *_: self.turn(-1))
        self.next_button = KButton(tr_key="ui.nav.next_page", style="secondary",
                                   kiosk_id=f"{self.id_prefix}.next", on_release=lambda *_: self.turn(1))
        self.page_label = KLabel(tr_key="ui.nav.page", font_size=theme.FONT_MIN)
        self.pager = BoxLayout(spacing=theme.SPACING)
        self.bind(items=self._render, page=self._render)
        self._render()

    def turn(self, step: int) -> None:
        """Go to the previous (-1) or next (+1) page."""
        self.page = max(0, min(self.page + step, self.page_count() - 1))

    def page_count(self) -> int:
        return max(1, -(-len(self.items) // self.per_page))

    def _render(self, *_):
        self.clear_widgets()
        self.page = min(self.page, self.page_count() - 1)
        start = self.page * self.per_page
        for index, (value, label) in enumerate(self.items[start:start + self.per_page], start):
            button = KButton(text=label, style="choice", value=value,
                             kiosk_id=f"{self.id_prefix}.{index}", size_hint_y=1)
            button.bind(on_release=self._chosen)
            self.add_widget(button)
        for _ in range(self.per_page - len(self.children)):
            self.add_widget(Widget())
        self.has_pages = self.page_count() > 1
        self.pager.clear_widgets()
        if self.has_pages:
            self.page_label.tr_kw = {"page": self.page + 1, "pages": self.page_count()}
            self.prev_button.disabled = self.page == 0
            self.next_button.disabled = self.page >= self.page_count() - 1
            for widget in (self.prev_button, self.page_label, self.next_button):
                self.pager.add_widget(widget)
            # Out of the tree while the language changed, they still hold the old one.
            retranslate(self.pager)

    def _chosen(self, button):
        if self.chosen_callback is not None:
            self.chosen_callback(button.value)


class BigProgress(Card):
    """A thick progress bar with the percentage written on it."""

    value = NumericProperty(0.0)  # 0..1

    def __init__(self, **kw):
        from kivy.graphics import Color, RoundedRectangle

        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", theme.BUTTON_H)
        super().__init__(**kw)
        with self.canvas.before:  # after the card's background, under the percentage
            Color(*theme.BUTTON_STYLES["success"][0])
            self._bar = RoundedRectangle(radius=[theme.RADIUS])
        self.label = KLabel(font_size=theme.FONT_TITLE, bold=True, kiosk_id="progress.percent")
        self.add_widget(self.label)
        self.bind(pos=self._draw, size=self._draw, value=self._draw)
        self._draw()

    def _draw(self, *_):
        inset = 6
        self._bar.pos = (self.x + inset, self.y + inset)
        self._bar.size = (max(0, (self.width - 2 * inset) * min(1.0, self.value)),
                          self.height - 2 * inset)
        self.label.text = f"{int(round(self.value * 100))}%"
        self.label.color = (1, 1, 1, 1) if self.value > 0.55 else theme.TEXT


class DigitRow(BoxLayout):
    """Digits to read aloud, each in its own box, so none is skipped or misread.

    `text` is the spaced digit string ("3 8 1 5 2 7"); the test driver finds it there.
    The font follows the box height; boxes share the row's width equally.
    """

    text = StringProperty("")

    def __init__(self, **kw):
        kw.setdefault("spacing", 12)
        super().__init__(**kw)
        self.bind(text=self._render, size=self._resize)

    def _render(self, *_):
        self.clear_widgets()
        for digit in self.text.split():
            box = Card()
            box.add_widget(Label(text=digit, bold=True, color=theme.TEXT))
            self.add_widget(box)
        self._resize()

    def _resize(self, *_):
        count = max(1, len(self.children))
        box_width = (self.width - self.spacing * (count - 1)) / count
        size = max(theme.FONT_MIN, min(self.height * 0.72, box_width * 1.1))
        for box in self.children:
            for label in box.children:
                label.font_size = size
