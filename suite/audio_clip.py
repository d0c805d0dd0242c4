"""The audio the suite uploads for transcription: a short tone it generates itself, the same bytes every run."""

from __future__ import annotations

import io
import math
import struct
import wave

RATE = 16_000  # Hz, mono, 16-bit: what speech models resample to anyway
SECONDS = 0.5
FREQUENCY = 440.0


def tone_wav(seconds: float = SECONDS, rate: int = RATE, frequency: float = FREQUENCY) -> bytes:
    """A WAV file of a quiet sine tone (fades in and out, so it does not click)."""
    frames = int(seconds * rate)
    fade = max(1, rate // 50)
    samples = []
    for n in range(frames):
        envelope = min(1.0, n / fade, (frames - 1 - n) / fade)
        samples.append(int(8000 * envelope * math.sin(2 * math.pi * frequency * n / rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{frames}h", *samples))
    return out.getvalue()


def wav_duration(data: bytes) -> float | None:
    """The length in seconds of a WAV file, None when the bytes are not one."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError, struct.error):
        return None
