"""Staff mode at the kiosk: PIN, lockout after wrong PINs, and the inactivity timeout."""
from __future__ import annotations

import pytest

from kiosk.clock import Clock
from kiosk.core import KioskCore
from kiosk.errors import FlowError
from kiosk.settings import KioskSettings


class ManualClock(Clock):
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t


@pytest.fixture
def core(tmp_path):
    settings = KioskSettings(data_dir=tmp_path / "k", simulate_dir=tmp_path / "sim",
                             staff_pin="135790", idle_timeout_s=60)
    return KioskCore(settings, clock=ManualClock())


def test_five_wrong_pins_lock_the_pad_for_five_minutes(core):
    for _ in range(4):
        assert core.check_staff_pin("000000") is False
    with pytest.raises(FlowError) as err:
        core.check_staff_pin("000000")
    assert core.tr(err.value.message_key, **err.value.params) == "密码错误次数过多，请 5 分钟后再试"
    with pytest.raises(FlowError):
        core.check_staff_pin("135790")  # even the right PIN, while locked
    core.clock.t += 301
    assert core.check_staff_pin("135790") is True and core.staff_mode


def test_unattended_staff_mode_times_out(core):
    assert core.check_staff_pin("135790")
    assert not core.session_timed_out()
    core.clock.t += 61
    assert core.session_timed_out()
    core.end_session()
    assert not core.staff_mode
    with pytest.raises(FlowError):
        core.capture_enrolment_frames()
