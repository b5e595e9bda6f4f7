"""A screen that lists the person's requests as cards, a few a page, with its status.

`PagedListScreen` asks the centre for the list off the UI thread on every entry (the
statuses change there), shows "loading" meanwhile, and puts prev / page / next in the
footer when there is more than one page. Subclasses set `per_page`, `empty_key` and
`task_name`, and give `fetch()` and `card(index, item)`.
"""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens import theme
from screens.base import KioskScreen
from screens.tasks import run_task
from screens.widgets import KButton, KLabel, retranslate


class PagedListScreen(KioskScreen):
    per_page = 1
    empty_key = ""
    task_name = ""

    def build_body(self):
        self.list_box = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.body.add_widget(self.list_box)
        self.page_label = KLabel(tr_key="ui.nav.page", font_size=theme.FONT_MIN)
        self.prev_button = KButton(tr_key="ui.nav.prev_page", style="secondary",
                                   kiosk_id=f"{self.name}.prev", on_release=lambda *_: self.turn(-1))
        self.next_button = KButton(tr_key="ui.nav.next_page", style="secondary",
                                   kiosk_id=f"{self.name}.next", on_release=lambda *_: self.turn(1))
        self.page = 0
        self.items = []

    def fetch(self):
        """The core call that asks the centre for the list (runs on a worker thread)."""
        raise NotImplementedError

    def card(self, index, item):
        """The widget that shows `item`, the `index`-th of the list (from 0)."""
        raise NotImplementedError

    def reset(self):
        self.page = 0

    def refresh(self):
        self._clear()
        self.list_box.add_widget(KLabel(tr_key="ui.loading", kiosk_id=f"{self.name}.loading"))
        run_task(self.fetch, self._loaded, self._error, name=self.task_name)

    def _loaded(self, items):
        self.items = list(items)
        self._render()

    def turn(self, step):
        self.page = max(0, min(self.page + step, self._pages() - 1))
        self._render()

    def _pages(self):
        return max(1, -(-len(self.items) // self.per_page))

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
            self.list_box.add_widget(KLabel(tr_key=self.empty_key, kiosk_id=f"{self.name}.empty"))
            return
        self.page = min(self.page, self._pages() - 1)
        start = self.page * self.per_page
        for index, item in enumerate(self.items[start:start + self.per_page], start):
            self.list_box.add_widget(self.card(index, item))
        for _ in range(self.per_page - len(self.list_box.children)):
            self.list_box.add_widget(Widget())
        if self._pages() > 1:
            self.page_label.tr_kw = {"page": self.page + 1, "pages": self._pages()}
            self.prev_button.disabled = self.page == 0
            self.next_button.disabled = self.page >= self._pages() - 1
            for widget in (self.prev_button, self.page_label, self.next_button):
                self.footer.add_widget(widget)
            retranslate(self.footer)  # added after the screen was translated on entry
