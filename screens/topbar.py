"""The bar above every screen: clock, language switch, call-staff button."""
from kivy.clock import Clock
from kivy.uix.label import Label

from screens import theme
from screens.widgets import KButton, Panel


class TopBar(Panel):
    """Always visible, so calling staff and switching language work from every screen."""

    def __init__(self, on_language, on_call_staff, now, **kw):
        super().__init__(size_hint_y=None, height=theme.TOPBAR_H, padding=(theme.PAD, 5),
                         spacing=theme.SPACING, bg=theme.TOPBAR_BG, **kw)
        # digits only: the same in both languages, so no catalogue entry is needed
        self.clock_label = Label(font_size=theme.FONT_TOPBAR + 8, color=theme.TOPBAR_TEXT,
                                 halign="left", valign="middle", bold=True)
        self.clock_label.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.language_button = KButton(tr_key="ui.topbar.switch_language", style="topbar",
                                       kiosk_id="topbar.language", size_hint_x=None, width=280,
                                       height=theme.BUTTON_H, font_size=theme.FONT_TOPBAR,
                                       on_release=lambda *_: on_language())
        self.call_button = KButton(tr_key="ui.topbar.call_staff", style="danger",
                                   kiosk_id="topbar.call_staff", size_hint_x=None, width=420,
                                   height=theme.BUTTON_H, font_size=theme.FONT_BUTTON,
                                   bold=True, on_release=lambda *_: on_call_staff())
        for widget in (self.clock_label, self.language_button, self.call_button):
            widget.pos_hint = {"center_y": 0.5}
            self.add_widget(widget)
        self._now = now
        self._tick()
        self._clock_event = Clock.schedule_interval(self._tick, 1.0)

    def _tick(self, *_):
        self.clock_label.text = self._now().strftime("%Y-%m-%d  %H:%M")
