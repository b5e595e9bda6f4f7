"""Speakers: non-blocking say(), FileSpeaker transcript and WAVs, missing espeak-ng handled."""

from __future__ import annotations

import shutil
import time

import pytest

from devices.audio import AudioClip
from devices.speaker import EspeakSpeaker, FileSpeaker, Speaker, espeak_voice, make_speaker

HAVE_ESPEAK = shutil.which("espeak-ng") is not None


def test_language_to_voice():
    assert espeak_voice("zh_CN") == "cmn"
    assert espeak_voice("zh-CN") == "cmn"
    assert espeak_voice("en") == "en"
    assert espeak_voice("en_GB") == "en"
    assert espeak_voice("fr_FR") == "fr"


def test_file_speaker_records_what_was_said(tmp_path):
    speaker = make_speaker("file", str(tmp_path / "spoken"))
    assert isinstance(speaker, Speaker)
    speaker.open()
    assert speaker.health().ok
    speaker.say("请看摄像头", "zh_CN")
    speaker.say("-Please look\nat the camera", "en")
    lines = (tmp_path / "spoken" / "spoken.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["请看摄像头", "-Please look at the camera"]  # recorded at once, in order
    assert speaker.spoken == [("zh_CN", "请看摄像头"), ("en", "-Please look at the camera")]
    assert speaker.wait_idle(timeout=30)
    wavs = sorted((tmp_path / "spoken").glob("*.wav"))
    if HAVE_ESPEAK:
        assert [p.name for p in wavs] == ["0001.wav", "0002.wav"]
        clip = AudioClip.from_wav_bytes(wavs[0].read_bytes())
        assert clip.duration > 0.5
    else:
        assert wavs == []
    speaker.close()
    speaker.close()
    speaker.say("after close", "en")  # dropped, no exception
    assert "after close" not in (tmp_path / "spoken" / "spoken.txt").read_text(encoding="utf-8")


def test_file_speaker_continues_numbering(tmp_path):
    first = FileSpeaker(tmp_path, executable="no-such-espeak")
    first.open()
    first.say("一", "zh_CN")
    first.close()
    (tmp_path / "0007.wav").write_bytes(b"")
    second = FileSpeaker(tmp_path, executable="no-such-espeak")
    second.open()
    assert "text only" in second.health().detail
    second.say("二", "zh_CN")
    assert second.wait_idle(timeout=5)
    second.close()
    assert (tmp_path / "spoken.txt").read_text(encoding="utf-8").splitlines() == ["一", "二"]


def test_missing_espeak_is_unavailable_and_say_is_a_no_op():
    speaker = EspeakSpeaker(executable="no-such-espeak")
    speaker.open()
    assert speaker.health().state == "unavailable"
    assert speaker.health().message_key == "device.speaker.unavailable"
    speaker.say("你好", "zh_CN")
    assert speaker.wait_idle(timeout=1)
    speaker.close()


@pytest.mark.skipif(not HAVE_ESPEAK, reason="espeak-ng is not installed")
def test_espeak_say_does_not_block_and_never_raises():
    speaker = make_speaker("espeak", None)
    speaker.open()
    assert speaker.health().ok
    started = time.monotonic()
    speaker.say("您好，请站到摄像头前。", "zh_CN")
    speaker.say("Hello", "en")
    assert time.monotonic() - started < 0.2
    assert speaker.wait_idle(timeout=30)
    # with no sound card the utterance cannot be played: that is an error state, not a crash
    assert speaker.health().state in {"ok", "error"}
    speaker.say("再见", "zh_CN")
    speaker.cancel()
    speaker.close()
