"""ID number screen: the person types their 18-character resident ID number.

The core checks it (`claim_identity`) and from then on compares the face with that
person only (1:1); the idle screen then follows that check. While typing, the camera
watcher is stopped so nothing starts behind the person's back.
"""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.idle import show_idle
from screens.tasks import call_safely
from screens.widgets import Card, KButton, KLabel

ID_LENGTH = 18
GROUPS = (6, 8, 4)  # region, birth date, serial + check character
# two rows of six keys, each >= 120 px high on the 800 px screen (digits are the same in
# every language; "delete" is translated)
PAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "X", "delete")
MESSAGE_H = 112


def grouped(number: str) -> str:
    """"110101198001010071" -> "110101 19800101 0071" (also for a partial number)."""
    parts, start = [], 0
    for size in GROUPS:
        if start < len(number):
            parts.append(number[start:start + size])
        start += size
    return " ".join(parts)


class IdNumberScreen(KioskScreen):
    """The title line doubles as the message line ("type your number" / what is wrong)."""

    name = "id_number"
    title_key = "ui.id_number.prompt"
    prompt_key = "ui.id_number.prompt"
    back_to = "idle"

    def build_body(self):
        self.message = self.title_label
        self.message.height = MESSAGE_H
        shown = BoxLayout(size_hint_y=None, height=theme.BUTTON_H - 20, spacing=theme.SPACING)
        card = Card(size_hint_x=0.68)
        self.number_label = KLabel(font_size=theme.FONT_HUGE - 8, bold=True,
                                   kiosk_id="id_number.number")
        card.add_widget(self.number_label)
        self.count_label = KLabel(tr_key="ui.id_number.count", tr_kw={"count": 0},
                                  size_hint_x=0.32, kiosk_id="id_number.count")
        shown.add_widget(card)
        shown.add_widget(self.count_label)
        grid = GridLayout(cols=6, spacing=12)
        self.keys = {}
        for key in PAD_KEYS:
            action = key == "delete"
            button = KButton(text="" if action else key, tr_key="ui.id_number.delete" if action else "",
                             style="secondary" if action else "choice", size_hint_y=1,
                             font_size=theme.FONT_BUTTON if action else theme.FONT_HUGE,
                             kiosk_id=f"idpad.{key}", on_release=lambda _b, k=key: self.press(k))
            self.keys[key] = button
            grid.add_widget(button)
        self.body.spacing = theme.SPACING // 2
        self.body.add_widget(shown)
        self.body.add_widget(grid)
        self.footer.add_widget(Widget())
        self.footer.add_widget(KButton(tr_key="ui.id_number.ok", style="success", bold=True,
                                       size_hint_x=None, width=400, kiosk_id="id_number.ok",
                                       on_release=lambda *_: self.submit()))
        self.number = ""

    def reset(self):
        self.number = ""
        self.set_message(self.message, "ui.id_number.prompt", kind="info")
        self._render()

    def on_pre_enter(self, *args):
        # typing takes a while: no identification (nor its spoken prompts) meanwhile
        call_safely(self.core.cancel_identification)
        super().on_pre_enter(*args)

    def press(self, key):
        if key == "delete":
            self.number = self.number[:-1]
        elif len(self.number) < ID_LENGTH and (key != "X" or len(self.number) == ID_LENGTH - 1):
            self.number += key
        if self.message.tr_key != "ui.id_number.prompt":  # typing again clears the error
            self.set_message(self.message, "ui.id_number.prompt", kind="info")
        self._render()

    def _render(self):
        self.number_label.text = grouped(self.number)
        self.count_label.tr_kw = {"count": len(self.number)}
        full = len(self.number) >= ID_LENGTH
        for key, button in self.keys.items():
            if key == "X":  # only the check character (the last one) can be X
                button.disabled = len(self.number) != ID_LENGTH - 1
            elif key == "delete":
                button.disabled = not self.number
            else:
                button.disabled = full

    def submit(self):
        if len(self.number) < ID_LENGTH:
            self._error("ui.id_number.prompt")
            return
        done = call_safely(lambda: self.core.claim_identity(self.number) or True, self._error)
        if done:
            show_idle(self.app, restart=False)  # the core now checks the face 1:1

    def _error(self, key, **params):
        """Shown in red in the person's language; the typed number stays for correcting."""
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
