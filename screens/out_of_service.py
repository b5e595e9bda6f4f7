"""Out-of-service screen: "暂停服务" in huge text and why (paused by staff, or outside
the opening hours, which are shown). Calling staff (top bar and here) and the staff
entry stay, so staff at the terminal can work. The app switches here and back by
itself when the core's service state changes (`screens.app.KioskApp._poll_service`).
"""
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.tasks import call_safely
from screens.widgets import KButton, KLabel

HEADLINE_FONT = 150


class OutOfServiceScreen(KioskScreen):
    name = "out_of_service"
    title_key = ""
    prompt_key = "ui.out_of_service.help"
    back_to = None

    def build_body(self):
        self.title_label.height = 0
        self.headline = KLabel(tr_key="ui.out_of_service.headline", font_size=HEADLINE_FONT,
                               bold=True, color=theme.ERROR_TEXT, kiosk_id="out_of_service.headline")
        self.subtitle = KLabel(tr_key="ui.out_of_service.subtitle", font_size=theme.FONT_TITLE,
                               color=theme.TEXT_MUTED, size_hint_y=None, height=90)
        self.reason = KLabel(font_size=theme.FONT_TITLE, bold=True, size_hint_y=None, height=110,
                             kiosk_id="out_of_service.reason")
        self.help = KLabel(tr_key="ui.out_of_service.help", font_size=theme.FONT_BODY,
                           size_hint_y=None, height=80)
        for widget in (self.headline, self.subtitle, self.reason, self.help):
            self.body.add_widget(widget)
        self.footer.add_widget(KButton(tr_key="ui.topbar.call_staff", style="danger", bold=True,
                                       kiosk_id="out_of_service.call_staff", size_hint_x=None,
                                       width=460, on_release=lambda *_: self.app.call_staff()))
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.idle.staff_entry", style="secondary",
                                       kiosk_id="out_of_service.staff", size_hint_x=None,
                                       width=340, font_size=theme.FONT_MIN,
                                       on_release=lambda *_: self.go("staff_pin")))
        self.shown = None

    def on_pre_enter(self, *args):
        call_safely(self.core.cancel_identification)  # nobody is identified while closed
        super().on_pre_enter(*args)

    def refresh(self):
        state = call_safely(self.core.service_state)
        if state is not None:
            self.show(state)

    def show(self, state):
        """Show the reason of `state` (a kiosk.service.ServiceState)."""
        self.shown = state
        self.reason.tr_kw = {"hours": state.hours}
        self.reason.tr_key = ("ui.out_of_service.closed" if state.reason == "closed"
                              else "ui.out_of_service.locked")
