"""Main menu after identification: greeting with the masked name, what reporting is due
(the person's reporting plan, when staff set one), one big button per task."""
from kivy.uix.gridlayout import GridLayout

from screens import theme
from screens.base import KioskScreen
from screens.widgets import KButton, KLabel

# (catalogue key, target screen)
ENTRIES = (
    ("ui.menu.checkin", "checkin"),
    ("ui.menu.leave", "leave_dest"),
    ("ui.menu.return", "leave_status"),
    ("ui.menu.lessons", "lessons"),
    ("ui.menu.approvals", "approval_type"),
    ("ui.menu.approval_status", "approval_status"),
    ("ui.menu.report", "report_choose"),
    ("ui.menu.questionnaires", "questionnaires"),
)

DUE_LINE_H = 50  # one line of the reporting-due text


class MenuScreen(KioskScreen):
    name = "menu"
    title_key = "ui.menu.greeting"  # "您好，张*三": the masked name only
    prompt_key = "ui.menu.prompt"
    back_to = None

    def build_body(self):
        self._due_lines = []
        # Literal text from the core (already translated), shown only when there is a plan.
        self.due = KLabel(text="", kiosk_id="menu.due", font_size=theme.FONT_BODY, bold=True,
                          size_hint_y=None)
        self.grid = grid = GridLayout(
            cols=max(2, -(-len(ENTRIES) // 2)), spacing=theme.SPACING * 2,
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
        lines = self.core.reporting_due() if person else []
        self._due_lines = lines
        self.due.text = "\n".join(lines)
        self.due.height = DUE_LINE_H * len(lines)
        # The due lines sit above the buttons only when there are some; the buttons close
        # up a little to keep their full height.
        if lines and self.due.parent is None:
            self.body.add_widget(self.due, index=len(self.body.children))
        elif not lines and self.due.parent is not None:
            self.body.remove_widget(self.due)
        self.grid.spacing = (theme.SPACING * 2, theme.SPACING if lines else theme.SPACING * 2)

    def on_enter(self, *args):
        super().on_enter(*args)
        if self._due_lines:  # said after the prompt, for those who cannot read
            self.app.speak("plan.spoken", lines=self.tr("plan.spoken_join").join(self._due_lines))
