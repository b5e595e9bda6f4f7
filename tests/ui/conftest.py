"""The UI journey reuses the end-to-end fixtures: a central server process, a staff
console, a provisioned kiosk data dir and the simulated camera/microphone folder."""
from tests.e2e.conftest import centre, kiosk_settings, sim  # noqa: F401  (fixtures)
