"""One error type for everything a person at the kiosk may be told."""


class FlowError(Exception):
    """A refusal or failure the screen shows; ``message_key`` is a catalogue key."""

    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params
