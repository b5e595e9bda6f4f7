"""The things a person does at the kiosk, each writing its action and outbox row at once."""
