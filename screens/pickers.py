"""The pickers of the request flows (请假, 其他审批), one decision per screen.

`ChoiceScreen`: a paged pad of big choices; tapping one is the decision. `DateScreen`: a
big date with one-day steppers. Both keep the decision in `app.state.<field>` and then
`confirm()`, which goes to `next_screen` unless a flow decides otherwise.
`FetchedChoiceScreen`: a pad whose choices the centre sends (lessons, questionnaires).
"""
from datetime import date, timedelta

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.dates import format_date, relative_day, weekday_name
from screens.tasks import call_safely, run_task
from screens.widgets import Card, ChoicePad, KButton, KLabel


class ChoiceScreen(KioskScreen):
    """A paged pad of choices; tapping one is the decision and moves on."""

    cols, rows = 3, 3
    field = ""
    next_screen = ""
    message_height = theme.BUTTON_H // 2  # the message line, while it shows something

    def build_body(self):
        self.message = KLabel(tr_key="", size_hint_y=None, height=0, kiosk_id=f"{self.name}.message")
        self.pad = ChoicePad(cols=self.cols, per_page=self.cols * self.rows,
                             id_prefix=self.name, chosen_callback=self.chosen)
        self.body.add_widget(self.message)
        self.body.add_widget(self.pad)
        self.footer.add_widget(self.pad.pager)

    def reset(self):
        self.pad.page = 0

    def choices(self) -> list:
        """(value, label) pairs from a quick core call."""
        return []

    def refresh(self):
        self.pad.items = list(call_safely(self.choices, self.show_message) or [])

    def show_message(self, key, kind="error", **params):
        self.message.height = self.message_height
        self.set_message(self.message, key, kind=kind, **params)

    def chosen(self, value):
        setattr(self.app.state, self.field, value)
        self.confirm()

    def confirm(self):
        self.go(self.next_screen)


class FetchedChoiceScreen(ChoiceScreen):
    """Choices the centre sends: asked off the UI thread on every entry, 'loading' meanwhile."""

    cols, rows = 1, 3
    message_height = theme.BUTTON_H
    empty_key = ""

    def fetch(self):
        """The core call that asks the centre (runs on a worker thread)."""
        raise NotImplementedError

    def pad_items(self, fetched) -> list:
        return list(fetched)

    def refresh(self):
        self.pad.items = []
        self.show_message("ui.loading", kind="info")
        run_task(self.fetch, self._loaded, self.show_message, name=self.name)

    def _loaded(self, fetched):
        self.pad.items = self.pad_items(fetched)
        if fetched:
            self.message.height = 0
            self.set_message(self.message)
        else:
            self.set_message(self.message, self.empty_key, kind="info")


class DateScreen(KioskScreen):
    """A big date with one-day steppers: no keyboard, no calendar to read."""

    field = ""
    next_screen = ""

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2, padding=(0, theme.PAD))
        self.earlier = KButton(tr_key="ui.date.earlier", style="primary", size_hint_x=None,
                               pos_hint={"center_y": 0.5}, height=theme.BIG_BUTTON_H,
                               width=260, kiosk_id=f"{self.name}.earlier", font_size=theme.FONT_BUTTON,
                               on_release=lambda *_: self.step(-1))
        self.later = KButton(tr_key="ui.date.later", style="primary", size_hint_x=None,
                             pos_hint={"center_y": 0.5}, height=theme.BIG_BUTTON_H,
                             width=260, kiosk_id=f"{self.name}.later", font_size=theme.FONT_BUTTON,
                             on_release=lambda *_: self.step(1))
        shown = Card(orientation="vertical", padding=theme.PAD)
        self.date_label = KLabel(font_size=theme.FONT_HUGE - 12, bold=True, kiosk_id=f"{self.name}.date")
        self.relative_label = KLabel(font_size=theme.FONT_TITLE, color=theme.CARD_BORDER,
                                     kiosk_id=f"{self.name}.relative")
        shown.add_widget(self.date_label)
        shown.add_widget(self.relative_label)
        for widget in (self.earlier, shown, self.later):
            row.add_widget(widget)
        self.body.add_widget(row)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.nav.ok", style="success", size_hint_x=None,
                                       width=400, kiosk_id=f"{self.name}.ok", bold=True,
                                       on_release=lambda *_: self.confirm()))

    def earliest(self) -> date:
        return self.today()

    def reset(self):
        current = getattr(self.app.state, self.field)
        if current is None or current < self.earliest():
            setattr(self.app.state, self.field, self.earliest())

    def refresh(self):
        day = getattr(self.app.state, self.field)
        self.date_label.text = format_date(self.tr, day, weekday=False)
        self.relative_label.text = (f"{weekday_name(self.tr, day)}   "
                                    f"{relative_day(self.tr, day, self.today())}")
        self.earlier.disabled = day <= self.earliest()

    def step(self, days: int):
        day = getattr(self.app.state, self.field) + timedelta(days=days)
        setattr(self.app.state, self.field, max(day, self.earliest()))
        self.refresh()

    def confirm(self):
        self.go(self.next_screen)
