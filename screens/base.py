"""KioskScreen: the frame every screen shares (title, body, footer with a back button)."""
from datetime import date

from kivy.app import App
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from screens import theme
from screens.widgets import KButton, KLabel, Panel, retranslate


class KioskScreen(Screen):
    """One decision per screen: a title, a body the subclass fills, a footer.

    Subclasses set `name`, `title_key`, `prompt_key` (spoken on entry), `back_to`
    (None hides the back button), and override `build_body()` and `refresh()`.
    """

    title_key = ""
    prompt_key = ""
    back_to = "menu"

    def __init__(self, **kw):
        super().__init__(**kw)
        frame = Panel(orientation="vertical", padding=(theme.PAD, 0, theme.PAD, theme.PAD // 2),
                      spacing=theme.SPACING // 2)
        self.title_label = KLabel(tr_key=self.title_key, font_size=theme.FONT_TITLE, bold=True,
                                  size_hint_y=None, height=theme.TITLE_H, kiosk_id=f"{self.name}.title")
        self.body = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.footer = BoxLayout(size_hint_y=None, height=theme.FOOTER_H - theme.PAD // 2,
                                spacing=theme.SPACING, padding=(0, theme.SPACING // 2, 0, 0))
        self.back_button = KButton(tr_key="ui.nav.back", style="secondary", kiosk_id="nav.back",
                                   size_hint_x=None, width=300, on_release=lambda *_: self.go_back())
        if self.back_to:
            self.footer.add_widget(self.back_button)
        for widget in (self.title_label, self.body, self.footer):
            frame.add_widget(widget)
        self.add_widget(frame)
        self.build_body()

    @property
    def app(self):
        return App.get_running_app()

    @property
    def core(self):
        return self.app.core

    def tr(self, key: str, **kw) -> str:
        return self.core.tr(key, **kw)

    def today(self) -> date:
        """The centre's calendar day, from the core's (injectable) clock."""
        clock = getattr(self.core, "clock", None)
        return clock.today() if hasattr(clock, "today") else date.today()

    def build_body(self) -> None:
        """Create the widgets of the body (called once)."""

    def reset(self) -> None:
        """Put the screen in its initial state (on every entry, not on language change)."""

    def refresh(self) -> None:
        """Re-read data from the core and show it (on entry and on language change).

        Texts set through `tr_key` follow a language change by themselves.
        """

    def on_timeout(self) -> None:
        """The session is about to end: save what must be saved (e.g. lesson progress)."""

    def go(self, name: str) -> None:
        self.app.go(name)

    def go_back(self) -> None:
        if self.back_to:
            self.go(self.back_to)

    def on_pre_enter(self, *_):
        self.reset()
        retranslate(self)
        self.refresh()

    def on_enter(self, *_):
        if self.prompt_key:
            self.app.speak(self.prompt_key)

    def set_message(self, label: KLabel, key: str = "", kind: str = "error", **kw) -> None:
        """Show a translated message (error/success/info) in `label`, or clear it."""
        colours = {"error": theme.ERROR_TEXT, "success": theme.SUCCESS_TEXT, "info": theme.TEXT}
        label.color = colours[kind]
        label.tr_kw = kw
        label.tr_key = key
        if not key:
            label.text = ""
