"""Touchscreen UI of the kiosk (Kivy): renders the state of kiosk.core.KioskCore.

Entry point: screens.app.run(core, fullscreen). No business logic lives here.
"""
