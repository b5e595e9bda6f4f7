"""KioskApp: the touchscreen front end over a ready `kiosk.core.KioskCore`.

The app only renders the core's state and forwards the person's choices; every rule
(who is identified, when a session times out, what a leave request needs) is the core's.
Kivy settings that must precede the window (size, fullscreen, input) are applied by
`configure_kivy()`, which `run()` calls before anything imports `kivy.core.window`.
"""
import logging
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from screens.fonts import register_default_font
from screens.state import UiState

log = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "en")
SESSION_POLL_SECONDS = 1.0
CAPTURE_TIMEOUT_S = 5.0
# Screens without a person or staff on them: the out-of-service screen may replace them.
PERSONLESS_SCREENS = ("idle", "id_number")
WINDOW_SIZE = (1280, 800)  # the layout's reference size; fullscreen scales to the panel


def configure_kivy(fullscreen: bool, size: tuple[int, int] | None = None) -> None:
    """Lockdown and display settings; must run before the Kivy window is created."""
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "resizable", "0")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
    if size:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    # one input provider only: touch panels also emit mouse events, two providers double-tap
    for option in Config.options("input"):
        Config.remove_option("input", option)
    Config.set("input", "mouse", "mouse,disable_multitouch")


class KioskApp(App):
    """Screen manager + top bar + inactivity timeout around a started KioskCore."""

    use_kivy_settings = False

    def __init__(self, core, **kw):
        super().__init__(**kw)
        self.core = core
        self.epoch = 0          # bumped whenever a session ends; stale results are dropped
        self.state = UiState()  # choices made on earlier screens of a multi-screen flow
        self.manager = None
        self.topbar = None
        self.call_staff_popup = None
        self._shown_language = core.language

    def build(self):
        from kivy.core.window import Window

        from screens.call_staff import CallStaffPopup
        from screens.registry import all_screens
        from screens.topbar import TopBar

        register_default_font()
        Window.clearcolor = (0.96, 0.96, 0.94, 1)
        Window.bind(on_request_close=self._on_request_close, on_touch_down=self._on_touch)
        root = BoxLayout(orientation="vertical")
        self.title = self.core.tr("ui.idle.title")
        self.topbar = TopBar(on_language=self.toggle_language, on_call_staff=self.call_staff,
                             now=self.local_now)
        self.manager = ScreenManager(transition=NoTransition())
        for screen in all_screens():
            self.manager.add_widget(screen)
        self.call_staff_popup = CallStaffPopup()
        root.add_widget(self.topbar)
        root.add_widget(self.manager)
        Clock.schedule_interval(self._poll_session, SESSION_POLL_SECONDS)
        self.core.set_screen_capture(self.capture_png)
        self.core.set_restart_handler(lambda: Clock.schedule_once(lambda _dt: self.stop(), 0))
        Clock.schedule_once(self._poll_service, 0)
        return root

    # navigation -------------------------------------------------------------
    def go(self, name: str) -> None:
        """Show screen `name` (the idle screen is 暂停服务 while out of service)."""
        if name == "idle" and not self._in_service():
            name = "out_of_service"
        self.manager.current = name

    def _in_service(self) -> bool:
        try:
            return self.core.service_state().open
        except Exception:  # noqa: BLE001 - a broken check must not block the screens
            log.exception("service_state failed")
            return True

    @property
    def current_screen(self):
        return self.manager.current_screen

    def local_now(self) -> datetime:
        """The centre's wall-clock time, from the core's clock (the same one on receipts)."""
        return self.core.local_now()

    def open_settings(self, *_args):
        """Kivy opens its settings panel on F1: never on a kiosk."""
        return False

    def speak(self, key: str, **kw) -> None:
        try:
            self.core.speak(key, **kw)
        except Exception:  # noqa: BLE001 - a broken speaker must not break the screen
            log.exception("speak failed")

    # top bar actions ----------------------------------------------------------
    def toggle_language(self) -> None:
        """Switch 中文 <-> English and redraw every text."""
        offered = list(self.core.languages()) or list(LANGUAGES)
        current = self.core.language
        self.core.set_language(offered[(offered.index(current) + 1) % len(offered)]
                               if current in offered else offered[0])
        self._retranslate_all()

    def _retranslate_all(self) -> None:
        from screens.widgets import retranslate

        self._shown_language = self.core.language
        retranslate(self.topbar)
        retranslate(self.call_staff_popup)
        screen = self.current_screen
        retranslate(screen)
        screen.refresh()

    def call_staff(self) -> None:
        self.call_staff_popup.call(self.core, self.manager.current)

    # session ------------------------------------------------------------------
    def _on_touch(self, _window, _touch):
        try:
            self.core.note_activity()
        except Exception:  # noqa: BLE001
            log.exception("note_activity failed")
        return False

    def _poll_session(self, _dt):
        try:
            timed_out = self.core.session_timed_out()
        except Exception:  # noqa: BLE001
            log.exception("session_timed_out failed")
            return
        if timed_out:
            self.end_session()
        self._poll_service()

    def _poll_service(self, *_):
        """Show 暂停服务 while the core is out of service (locked, closed), and the idle
        screen again when it is back; a person or staff member on screen finishes first."""
        try:
            state = self.core.service_state()
            offered = list(self.core.languages())
        except Exception:  # noqa: BLE001
            log.exception("service_state failed")
            return
        self.topbar.language_button.opacity = 1 if len(offered) > 1 else 0
        self.topbar.language_button.disabled = len(offered) <= 1
        if self.core.language != self._shown_language:  # the core changed it (end of a
            self._retranslate_all()                     # session, new configuration)
        current = self.manager.current
        if not state.open and current in PERSONLESS_SCREENS:
            self.go("out_of_service")
        elif current == "out_of_service":
            screen = self.current_screen
            if state.open:
                from screens.idle import show_idle

                show_idle(self)
            elif state != screen.shown:
                screen.show(state)

    # screen capture (the staff "screenshot" command) ------------------------------
    def capture_png(self) -> bytes:
        """A PNG of the screen as shown now; callable from any thread."""
        if threading.current_thread() is threading.main_thread():
            return self._grab_png()
        done, box = threading.Event(), {}

        def grab(_dt):
            try:
                box["png"] = self._grab_png()
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                box["error"] = exc
            finally:
                done.set()

        Clock.schedule_once(grab, 0)
        if not done.wait(CAPTURE_TIMEOUT_S):
            raise TimeoutError("the screen did not answer in time")
        if "error" in box:
            raise box["error"]
        return box["png"]

    @staticmethod
    def _grab_png() -> bytes:
        from kivy.core.window import Window

        with tempfile.TemporaryDirectory(prefix="kiosk-shot-") as folder:
            return Path(Window.screenshot(name=str(Path(folder) / "screen.png"))).read_bytes()

    def end_session(self) -> None:
        """Clear the person from the screen and the core, back to the idle screen."""
        screen = self.current_screen
        if screen is not None:
            screen.on_timeout()
        self.call_staff_popup.dismiss()
        self.epoch += 1
        self.state = UiState()
        try:
            self.core.end_session()
        except Exception:  # noqa: BLE001
            log.exception("end_session failed")
        self.go("idle")

    def _on_request_close(self, *_args, **_kw):
        """A kiosk is never closed from its window (Alt+F4, window manager): refuse."""
        log.info("window close request refused")
        return True


def run(core, fullscreen: bool = True) -> None:
    """Entry point for the `kiosk` console script: show the UI for a started core.

    The caller starts and stops the core; this returns when the app stops.
    """
    configure_kivy(fullscreen, None if fullscreen else WINDOW_SIZE)
    register_default_font()  # fail before a window opens if no Chinese font exists
    KioskApp(core).run()
