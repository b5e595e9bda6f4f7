"""我的申请: the other approvals this person filed, with the centre's decision and note."""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.dates import format_date
from screens.tasks import run_task
from screens.widgets import Card, KButton, KLabel, retranslate

PER_PAGE = 3
STATUS_COLOURS = {"approved": theme.SUCCESS_TEXT, "rejected": theme.ERROR_TEXT,
                  "refused": theme.ERROR_TEXT}


class ApprovalStatusScreen(KioskScreen):
    name = "approval_status"
    title_key = "ui.approval_status.title"
    prompt_key = "ui.approval_status.prompt"

    def build_body(self):
        self.list_box = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.body.add_widget(self.list_box)
        self.page_label = KLabel(tr_key="ui.nav.page", font_size=theme.FONT_MIN)
        self.prev_button = KButton(tr_key="ui.nav.prev_page", style="secondary",
                                   kiosk_id="approval_status.prev", on_release=lambda *_: self.turn(-1))
        self.next_button = KButton(tr_key="ui.nav.next_page", style="secondary",
                                   kiosk_id="approval_status.next", on_release=lambda *_: self.turn(1))
        self.page = 0
        self.items = []

    def reset(self):
        self.page = 0

    def refresh(self):
        # approval_requests() asks the centre for fresh statuses: never on the UI thread
        self._clear()
        self.list_box.add_widget(KLabel(tr_key="ui.loading", kiosk_id="approval_status.loading"))
        run_task(self.core.approval_requests, self._loaded, self._error, name="approval-requests")

    def _loaded(self, items):
        self.items = list(items)
        self._render()

    def turn(self, step):
        self.page = max(0, min(self.page + step, self._pages() - 1))
        self._render()

    def _pages(self):
        return max(1, -(-len(self.items) // PER_PAGE))

    def _error(self, key, **params):
        self._clear()
        self.list_box.add_widget(KLabel(tr_key=key, tr_kw=params, color=theme.ERROR_TEXT))

    def _clear(self):
        self.list_box.clear_widgets()
        for widget in (self.page_label, self.prev_button, self.next_button):
            if widget.parent:
                widget.parent.remove_widget(widget)

    def _render(self):
        self._clear()
        if not self.items:
            self.list_box.add_widget(KLabel(tr_key="ui.approval_status.empty",
                                            kiosk_id="approval_status.empty"))
            return
        self.page = min(self.page, self._pages() - 1)
        start = self.page * PER_PAGE
        for index, item in enumerate(self.items[start:start + PER_PAGE], start):
            self.list_box.add_widget(self._card(index, item))
        for _ in range(PER_PAGE - len(self.list_box.children)):
            self.list_box.add_widget(Widget())
        if self._pages() > 1:
            self.page_label.tr_kw = {"page": self.page + 1, "pages": self._pages()}
            self.prev_button.disabled = self.page == 0
            self.next_button.disabled = self.page >= self._pages() - 1
            for widget in (self.prev_button, self.page_label, self.next_button):
                self.footer.add_widget(widget)
            retranslate(self.footer)  # added after the screen was translated on entry

    def _card(self, index, item):
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
