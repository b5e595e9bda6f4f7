"""Live camera preview fed from `core.camera_frame()` (BGR numpy frames)."""
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.uix.image import Image
from kivy.uix.relativelayout import RelativeLayout

from screens import theme
from screens.widgets import KLabel, Panel

FPS = 10


class CameraPreview(Panel):
    """Mirrored preview on a dark panel; says so when the camera gives no picture."""

    def __init__(self, **kw):
        super().__init__(bg=(0.12, 0.12, 0.14, 1), **kw)
        layer = RelativeLayout()
        self.image = Image(fit_mode="contain", opacity=0)
        self.no_picture = KLabel(tr_key="ui.camera.no_picture", color=(1, 1, 1, 1),
                                 font_size=theme.FONT_MIN)
        layer.add_widget(self.image)
        layer.add_widget(self.no_picture)
        self.add_widget(layer)
        self._texture = None
        self._event = None
        self._source = None

    def start(self, source) -> None:
        """Poll `source()` for frames until `stop()`."""
        self.stop()
        self._source = source
        self._event = Clock.schedule_interval(self._update, 1.0 / FPS)
        self._update()

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.image.opacity = 0
        self.no_picture.opacity = 1

    def _update(self, *_):
        try:
            frame = self._source()
        except Exception:  # noqa: BLE001 - a camera error shows as "no picture"
            frame = None
        self.show(frame)

    def show(self, frame) -> None:
        if frame is None:
            self.image.opacity = 0
            self.no_picture.opacity = 1
            return
        frame = frame[::-1, ::-1]  # textures start at the bottom row; mirror like a mirror
        height, width = frame.shape[:2]
        if self._texture is None or self._texture.size != (width, height):
            self._texture = Texture.create(size=(width, height), colorfmt="bgr")
        self._texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.image.texture = self._texture
        self.image.canvas.ask_update()
        self.image.opacity = 1
        self.no_picture.opacity = 0
