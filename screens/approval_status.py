"""我的申请: the other approvals this person filed, with the centre's decision and note."""
from screens import theme
from screens.dates import format_date
from screens.paged_list import PagedListScreen
from screens.widgets import Card, KLabel

STATUS_COLOURS = {"approved": theme.SUCCESS_TEXT, "rejected": theme.ERROR_TEXT,
                  "refused": theme.ERROR_TEXT}


class ApprovalStatusScreen(PagedListScreen):
    name = "approval_status"
    title_key = "ui.approval_status.title"
    prompt_key = "ui.approval_status.prompt"
    per_page = 3
    empty_key = "ui.approval_status.empty"
    task_name = "approval-requests"

    def fetch(self):
        return self.core.approval_requests()

    def card(self, index, item):
        card = Card(orientation="vertical", padding=(theme.PAD, theme.PAD // 4))
        day = format_date(self.tr, item.start_date, False)
        if item.end_date:
            day = f"{day} - {format_date(self.tr, item.end_date, False)}"
        place = f"  {item.place}" if item.place else ""
        card.add_widget(KLabel(tr_key="ui.approval_status.line", halign="left",
                               tr_kw={"type": item.type_text, "date": day + place},
                               kiosk_id=f"approval_status.{index}.line", font_size=theme.FONT_MIN))
        note = f"  {item.decision_note}" if item.decision_note else ""
        card.add_widget(KLabel(text=f"{item.status_text}{note}", halign="left", bold=True,
                               color=STATUS_COLOURS.get(item.status, theme.TEXT),
                               kiosk_id=f"approval_status.{index}.status"))
        return card
