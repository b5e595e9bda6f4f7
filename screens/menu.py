"""Main menu after identification: greeting with the masked name, one big button per task."""
from kivy.uix.gridlayout import GridLayout

from screens import theme
from screens.base import KioskScreen
from screens.widgets import KButton

# (catalogue key, target screen)
ENTRIES = (
    ("ui.menu.checkin", "checkin"),
    ("ui.menu.leave", "leave_dest"),
    ("ui.menu.return", "leave_status"),
    ("ui.menu.lessons", "lessons"),
    ("ui.menu.questionnaires", "questionnaires"),
)


class MenuScreen(KioskScreen):
    name = "menu"
    title_key = "ui.menu.greeting"  # "您好，张*三": the masked name only
    prompt_key = "ui.menu.prompt"
    back_to = None

    def build_body(self):
        # two columns while the entries fit in two rows, then three (buttons stay >= 120 px)
        grid = GridLayout(cols=2 if len(ENTRIES) <= 4 else 3, spacing=theme.SPACING * 2,
                          padding=(theme.PAD * 2, theme.PAD // 2, theme.PAD * 2, theme.PAD // 2))
        for key, target in ENTRIES:
            grid.add_widget(KButton(tr_key=key, style="primary", kiosk_id=f"menu.{target}",
                                    size_hint_y=1, font_size=theme.FONT_HUGE, bold=True,
                                    on_release=lambda _b, t=target: self.go(t)))
        self.body.add_widget(grid)
        self.footer.padding = (theme.PAD * 2, theme.SPACING // 2, theme.PAD * 2, 0)
        self.footer.add_widget(KButton(tr_key="ui.menu.exit", style="secondary",
                                       kiosk_id="menu.exit",
                                       on_release=lambda *_: self.app.end_session()))

    def refresh(self):
        person = self.core.person
        # no person: the session ended under us (timeout) and the app is leaving this screen
        self.title_label.tr_kw = {"name": person.display_name if person else ""}
