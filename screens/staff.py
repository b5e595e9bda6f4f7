"""Staff mode: PIN pad, staff menu, and choosing the person to enrol from the roster."""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.tasks import call_safely
from screens.widgets import Card, ChoicePad, KButton, KLabel

PIN_MAX = 12
# pad layout: digits are the same in every language; the two action keys are translated
PAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "delete", "clear")


class StaffPinScreen(KioskScreen):
    """Digits in two rows of six so every key stays >= 120 px high on a 800 px screen.

    The title line doubles as the message line ("enter the PIN" / "wrong PIN").
    """

    name = "staff_pin"
    title_key = "ui.staff_pin.prompt"
    prompt_key = "ui.staff_pin.prompt"
    back_to = "idle"

    def build_body(self):
        self.message = self.title_label
        shown = Card(size_hint=(0.6, None), height=theme.BUTTON_H - 20, pos_hint={"center_x": 0.5})
        self.dots = KLabel(font_size=theme.FONT_TITLE, kiosk_id="staff_pin.dots")
        shown.add_widget(self.dots)
        grid = GridLayout(cols=6, spacing=12)
        for key in PAD_KEYS:
            digit = key.isdigit()
            grid.add_widget(KButton(text=key if digit else "", tr_key="" if digit else f"ui.staff_pin.{key}",
                                    style="choice" if digit else "secondary", size_hint_y=1,
                                    font_size=theme.FONT_HUGE if digit else theme.FONT_BUTTON,
                                    kiosk_id=f"pin.{key}", on_release=lambda _b, k=key: self.press(k)))
        self.body.add_widget(shown)
        self.body.add_widget(grid)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.nav.ok", style="success", size_hint_x=None,
                                       width=400, kiosk_id="staff_pin.ok", bold=True,
                                       on_release=lambda *_: self.submit()))
        self.pin = ""

    def reset(self):
        self.pin = ""
        self.dots.text = ""
        self.set_message(self.message, "ui.staff_pin.prompt", kind="info")

    def press(self, key):
        if key == "clear":
            self.pin = ""
        elif key == "delete":
            self.pin = self.pin[:-1]
        elif len(self.pin) < PIN_MAX:
            self.pin += key
        self.dots.text = "\u25cf " * len(self.pin)

    def submit(self):
        pin, self.pin, self.dots.text = self.pin, "", ""
        accepted = call_safely(lambda: self.core.check_staff_pin(pin), self.set_message_error)
        if accepted:
            self.go("staff_menu")
        elif accepted is not None:  # None: the error is already on screen
            self.set_message(self.message, "ui.staff_pin.wrong")
            self.app.speak("ui.staff_pin.wrong")

    def set_message_error(self, key, **params):
        self.set_message(self.message, key, **params)


class StaffMenuScreen(KioskScreen):
    name = "staff_menu"
    title_key = "ui.staff_menu.title"
    back_to = None

    def build_body(self):
        box = BoxLayout(orientation="vertical", spacing=theme.SPACING * 2,
                        padding=(theme.PAD * 6, theme.PAD * 2))
        box.add_widget(KButton(tr_key="ui.staff_menu.enrol", style="primary", bold=True,
                               height=theme.BIG_BUTTON_H, font_size=theme.FONT_TITLE,
                               kiosk_id="staff_menu.enrol", on_release=lambda *_: self.go("staff_roster")))
        box.add_widget(Widget())
        self.body.add_widget(box)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.staff_menu.exit", style="secondary",
                                       size_hint_x=None, width=480, kiosk_id="staff_menu.exit",
                                       on_release=lambda *_: self.app.end_session()))


class StaffRosterScreen(KioskScreen):
    name = "staff_roster"
    title_key = "ui.staff_roster.title"
    back_to = "staff_menu"

    def build_body(self):
        self.message = KLabel(tr_key="", size_hint_y=None, height=0, kiosk_id="staff_roster.message")
        self.pad = ChoicePad(cols=3, per_page=9, id_prefix="roster", chosen_callback=self.chosen)
        self.body.add_widget(self.message)
        self.body.add_widget(self.pad)
        self.footer.add_widget(self.pad.pager)
        self.people = {}

    def reset(self):
        self.pad.page = 0

    def refresh(self):
        people = call_safely(self.core.roster, self._error) or []
        self.people = {person.id: person for person in people}
        self.pad.items = [(person.id, person.display_name) for person in people]
        if people:
            self.message.height = 0
            self.set_message(self.message)
        elif self.message.tr_key == "":
            self._error("ui.staff_roster.empty")

    def _error(self, key, **params):
        self.message.height = theme.BUTTON_H
        self.set_message(self.message, key, **params)

    def chosen(self, person_id):
        self.app.state.staff_person = self.people[person_id]
        self.go("enrol_face")
