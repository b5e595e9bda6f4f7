"""Liveness, voice and lip-sync after the face, on real media: a live talking-head clip
and a still picture of it in front of the simulated camera, real speakers' recordings
in the simulated microphone (recorded in real time, so the camera frames line up)."""
from __future__ import annotations

import dataclasses
import shutil
import threading
import wave

import cv2
import numpy as np
import pytest

from kiosk.identify_state import IdentityState

pytestmark = [pytest.mark.slow, pytest.mark.realtime]

CLIP = "liveness/live_video/WDA_AlexandriaOcasioCortez_000.mp4"
VOICE, OTHER_VOICE = "zh_aishell_S0150", "zh_fangjun"


@pytest.fixture(scope="module")
def media(shared_data, tmp_path_factory):
    """Folders the simulated devices read: the live clip, a still of it, voices, silence."""
    root = tmp_path_factory.mktemp("confirm")
    (root / "live").mkdir()
    shutil.copy(shared_data / CLIP, root / "live" / "person.mp4")
    capture = cv2.VideoCapture(str(shared_data / CLIP))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, frame = capture.read()
    capture.release()
    assert ok
    (root / "still").mkdir()
    cv2.imwrite(str(root / "still" / "photo.jpg"), frame)
    for name, speaker in (("own", VOICE), ("other", OTHER_VOICE)):
        (root / name).mkdir()
        clips = sorted((shared_data / "voices" / speaker).glob("*.wav"))
        for clip in clips[3:] if name == "own" else clips:
            shutil.copy(clip, root / name / clip.name)
    (root / "silence").mkdir()
    with wave.open(str(root / "silence" / "quiet.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((np.random.default_rng(0).normal(0, 20, 16000 * 5)).astype("<i2").tobytes())
    return root


@pytest.fixture(scope="module")
def engines(shared_data, media):
    """Face index with the person enrolled from frames of the live clip; voice template
    from the speaker's first three utterances."""
    from devices.audio import read_audio_file
    from kiosk.face import FaceEngine, FaceIndex
    from kiosk.identity_policy import load_policy
    from kiosk.voice import VoiceEngine

    face = FaceEngine()
    capture = cv2.VideoCapture(str(media / "live" / "person.mp4"))
    frames = []
    for i in range(0, 200, 40):
        capture.set(cv2.CAP_PROP_POS_FRAMES, i)
        frames.append(capture.read()[1])
    capture.release()
    index = FaceIndex({1: face.enrol(frames)})
    voice = VoiceEngine.from_policy(load_policy())
    clips = sorted((shared_data / "voices" / VOICE).glob("*.wav"))[:3]
    template = voice.enrol([read_audio_file(str(c)) for c in clips])
    return face, index, voice, template


def run_confirm(engines, camera_dir, mic_dir, **policy_changes):
    from devices.camera_file import FileCamera
    from devices.microphone_file import FileMicrophone
    from kiosk.confirm import IdentityConfirmer
    from kiosk.identify import CameraPump
    from kiosk.identity_policy import load_policy
    from kiosk.liveness import LandmarkExtractor

    face, index, voice, template = engines
    policy = dataclasses.replace(load_policy(), **policy_changes)  # the shipped rule
    pump = CameraPump(FileCamera(str(camera_dir)), fps=25)
    mic = FileMicrophone(str(mic_dir), realtime=True)
    mic.open()
    said, published = [], []
    confirmer = IdentityConfirmer(
        pump=pump, extractor_factory=lambda: LandmarkExtractor(face), voice_engine=voice,
        microphone=mic, speaker_say=lambda key, **kw: said.append(key),
        speaker_wait=lambda _t: None, policy=policy, liveness_config=policy.liveness_config(),
        challenge_pool=["blink"], voice_template=lambda _pid: template.to_bytes(),
        voice_cohort=lambda _pid: None, face_verify=index.verify, record_seconds=4.5)
    pump.start()
    try:
        outcome = confirmer.confirm(1, IdentityState("liveness", 1, display_name="温*国"),
                                    published.append, threading.Event())
    finally:
        pump.stop()
        mic.close()
    return outcome, said, published


def test_live_person_with_own_voice_is_accepted(engines, media):
    outcome, said, published = run_confirm(engines, media / "live", media / "own")
    assert outcome.accepted, outcome
    assert "liveness.prompt.blink" in said and "verify.voice.read_digits_spoken" in said
    digits = [s.digits for s in published if s.status == "voice"]
    assert digits and len(digits[0].replace(" ", "")) == 6  # the random string was shown
    assert any(s.recording for s in published)
    assert outcome.evidence["lipsync_decision"] != "still_mouth"


def test_photo_held_up_fails_liveness(engines, media):
    outcome, _, _ = run_confirm(engines, media / "still", media / "own")
    assert not outcome.accepted
    assert outcome.reason == "liveness_failed" and outcome.stage == "liveness"
    assert outcome.message_key.startswith("liveness.failed.")


def test_recording_played_in_front_of_a_photo_fails_lipsync(engines, media):
    """Even with liveness switched off, a voice with a mouth that never moves is refused."""
    outcome, _, _ = run_confirm(engines, media / "still", media / "own", require_liveness=False)
    assert not outcome.accepted
    assert outcome.reason == "lipsync_failed", outcome
    assert outcome.evidence["lipsync_decision"] in ("still_mouth", "no_face")


def test_someone_elses_voice_is_a_mismatch(engines, media):
    outcome, _, _ = run_confirm(engines, media / "live", media / "other")
    assert not outcome.accepted
    assert outcome.reason == "voice_mismatch" and outcome.message_key == "voice.mismatch"


def test_silence_is_no_speech_not_a_mismatch(engines, media):
    outcome, said, _ = run_confirm(engines, media / "live", media / "silence")
    assert not outcome.accepted
    assert outcome.reason == "no_speech", outcome
    assert outcome.message_key in ("voice.no_speech", "voice.too_quiet")
