"""Run a blocking core call off the UI thread and bring its outcome back to it.

Results are dropped when the person's session ended meanwhile (timeout, exit), so a slow
call can never put one person's data on the screen of the next. Errors reach the
screen as a catalogue key plus its parameters (`FlowError.message_key`, `.params`).
"""
import logging
import threading

from kivy.app import App
from kivy.clock import Clock

from kiosk.errors import FlowError

log = logging.getLogger(__name__)

UNEXPECTED_KEY = "ui.error.unexpected"


def error_message(exc: BaseException) -> tuple[str, dict]:
    """(catalogue key, parameters) to show for an exception raised by the core."""
    if isinstance(exc, FlowError):
        return exc.message_key, dict(getattr(exc, "params", {}) or {})
    log.error("unexpected error from the core", exc_info=exc)
    return UNEXPECTED_KEY, {}


def run_task(work, on_done, on_error=None, progress=None, name="kiosk-task"):
    """Call `work()` (or `work(progress_cb)` if `progress` is given) in a thread.

    `on_done(result)`, `on_error(message_key, **params)` and `progress(fraction)` run on
    the UI thread. Returns the thread.
    """
    app = App.get_running_app()
    epoch = app.epoch

    def deliver(callback, *args, **kw):
        def _call(_dt):
            if app.epoch == epoch and callback is not None:
                callback(*args, **kw)
        Clock.schedule_once(_call, 0)

    def report(fraction):
        deliver(progress, float(fraction))

    def target():
        try:
            result = work(report) if progress is not None else work()
        except Exception as exc:  # noqa: BLE001 - every failure must reach the screen
            key, params = error_message(exc)
            deliver(on_error, key, **params)
        else:
            deliver(on_done, result)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def call_safely(work, on_error=None):
    """Call a quick core method on the UI thread; show its error instead of crashing."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001
        if on_error is not None:
            key, params = error_message(exc)
            on_error(key, **params)
        return None
