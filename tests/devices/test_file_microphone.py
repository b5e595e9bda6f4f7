"""FileMicrophone with real voices: durations, cycling, resampling, missing and broken files."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from devices.audio import AudioClip, read_audio_file, soundfile_available
from devices.base import DeviceError
from devices.microphone import FileMicrophone, Microphone, PyAudioMicrophone, make_microphone


def wav_seconds(path: Path) -> float:
    """Length of a WAV file according to its header."""
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write int16 samples (1-D mono or N x channels) as a PCM WAV file."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two signals over their common length."""
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n].astype(float), b[:n].astype(float))[0, 1])


def test_folder_of_mandarin_wavs_is_cycled(shared_data):
    folder = shared_data / "voices" / "zh_fangjun"
    mic = make_microphone("file", str(folder))
    assert isinstance(mic, Microphone)
    mic.open()
    assert mic.health().ok
    first = mic.record(2.0)
    assert first.sample_rate == 16000 and first.samples.dtype == np.int16
    assert first.duration == pytest.approx(2.0)
    second = mic.record(100.0)  # longer than the file: the whole file
    assert second.duration == pytest.approx(wav_seconds(folder / "2.wav"), abs=1e-3)
    expected, _ = read_audio_file(folder / "2.wav")
    assert np.array_equal(second.samples, np.round(expected * 32768).astype(np.int16))
    files = sorted(folder.glob("*.wav"))
    for _ in range(len(files) - 2):
        mic.record(0.5)
    again = mic.record(2.0)  # back to 1.wav
    assert np.array_equal(again.samples, first.samples)
    mic.close()
    with pytest.raises(DeviceError):
        mic.record(1.0)


def test_single_wav_and_wav_bytes_round_trip(shared_data):
    path = shared_data / "voices" / "zh_aishell_S0150" / "1.wav"
    mic = FileMicrophone(path)
    mic.open()
    clip = mic.record(3.0)
    assert clip.duration == pytest.approx(3.0)
    back = AudioClip.from_wav_bytes(clip.to_wav_bytes())
    assert back.sample_rate == 16000
    assert np.array_equal(back.samples, clip.samples)


def test_other_rates_and_stereo_are_resampled_to_16k_mono(shared_data, tmp_path):
    original = FileMicrophone(shared_data / "voices" / "zh_liudehua" / "1.wav")
    original.open()
    reference = original.record(30.0)
    ref = reference.samples
    # 48 kHz stereo (each sample held 3 times) and 8 kHz mono (every second sample)
    write_wav(tmp_path / "48k.wav", np.repeat(np.stack([ref, ref], axis=1), 3, axis=0), 48000)
    write_wav(tmp_path / "8k.wav", ref[::2], 8000)
    mic = FileMicrophone(tmp_path)
    mic.open()
    from_48k = mic.record(30.0)
    from_8k = mic.record(30.0)
    for clip in (from_48k, from_8k):
        assert clip.sample_rate == 16000
        assert clip.duration == pytest.approx(reference.duration, abs=0.01)
    assert correlation(from_48k.samples, ref) > 0.95
    assert correlation(from_8k.samples, ref) > 0.6  # band-limited to 4 kHz, still the same speech


def test_realtime_mode_takes_as_long_as_a_recording(shared_data):
    slept = []
    mic = FileMicrophone(shared_data / "voices" / "zh_fangjun", realtime=True, sleep=slept.append)
    mic.open()
    mic.record(1.5)
    assert slept == [1.5]


@pytest.mark.skipif(not soundfile_available(), reason="soundfile is not installed: FLAC is not decoded")
def test_librispeech_flac(shared_data):
    mic = FileMicrophone(shared_data / "voices" / "ls_533")
    mic.open()
    assert mic.health().ok
    clip = mic.record(2.0)
    assert clip.duration == pytest.approx(2.0)
    assert np.abs(clip.samples).max() > 1000


@pytest.mark.skipif(soundfile_available(), reason="soundfile is installed: FLAC is decoded")
def test_flac_without_soundfile_is_unavailable_with_a_hint(shared_data):
    mic = FileMicrophone(shared_data / "voices" / "ls_533")
    mic.open()
    assert mic.health().state == "unavailable"
    assert "soundfile" in mic.health().detail
    with pytest.raises(DeviceError) as caught:
        mic.record(1.0)
    assert caught.value.message_key == "device.microphone.unavailable"


def test_missing_file_is_unavailable(tmp_path):
    mic = make_microphone("file", str(tmp_path / "gone.wav"))
    mic.open()
    assert mic.health().state == "unavailable"
    assert mic.health().message_key == "device.microphone.unavailable"
    with pytest.raises(DeviceError) as caught:
        mic.record(1.0)
    assert caught.value.message_key == "device.microphone.unavailable"


def test_corrupt_wav_is_an_error(shared_data, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + b"\x00" * 50)
    mic = FileMicrophone(broken)
    mic.open()
    with pytest.raises(DeviceError) as caught:
        mic.record(1.0)
    assert caught.value.message_key == "device.microphone.error"
    assert mic.health().state == "error"


def test_pyaudio_without_a_device_is_unavailable():
    mic = PyAudioMicrophone()
    mic.open()
    if mic.health().ok:
        mic.close()
        pytest.skip("this machine has a microphone")
    assert mic.health().message_key == "device.microphone.unavailable"
    with pytest.raises(DeviceError) as caught:
        mic.record(0.5)
    assert caught.value.message_key == "device.microphone.unavailable"
    mic.close()
    mic.close()


def test_factory():
    assert make_microphone("pyaudio", None).device_index is None
    assert make_microphone("pyaudio", "3").device_index == 3
    with pytest.raises(ValueError):
        make_microphone("file", None)
    with pytest.raises(ValueError, match="unknown microphone backend"):
        make_microphone("alsa", None)
