"""POST /audio/transcriptions: a multipart upload answered in json, text, verbose_json, srt or vtt.

The "transcript" is derived from the audio's length (the provider does not listen): a few words spread over
evenly timed segments, so every format carries the same text and the same times.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import TYPE_CHECKING, Any

from . import text
from .params import Params, invalid_value
from .wire import APIError, JSONBody, TextBody, Upload

if TYPE_CHECKING:
    from .app import Call

KNOWN = {"file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities[]",
         "include[]", "stream", "chunking_strategy"}
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
LANGUAGES = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "ja": "japanese"}
MIN_SECONDS = 0.1
SEGMENT_SECONDS = 0.25  # segments are short, so even the suite's half-second clip has more than one
MAX_SEGMENTS = 8


def _missing(param: str) -> APIError:
    return APIError(400, f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def duration_of(upload: Any) -> float:
    """The audio's length in seconds: read from a WAV header, estimated from the size for other formats."""
    if not isinstance(upload, Upload):
        raise _missing("file") if upload is None else APIError(
            400, "Invalid file: 'file' must be an uploaded file, not a text field.", "file", "invalid_value")
    extension = upload.filename.rpartition(".")[2].lower()
    if extension not in EXTENSIONS:
        raise APIError(400, f"Invalid file format. Supported formats: {list(EXTENSIONS)}", "file", "invalid_value")
    if extension == "wav":
        try:
            with wave.open(io.BytesIO(upload.content), "rb") as wav:
                seconds = wav.getnframes() / wav.getframerate()
        except (wave.Error, EOFError, ZeroDivisionError, struct.error):
            raise APIError(400, "The audio file could not be decoded or its format is not supported.", "file",
                           "invalid_value") from None
    else:
        seconds = len(upload.content) / 16_000  # about 128 kbit/s
    if seconds < MIN_SECONDS:
        raise APIError(400, f"Audio file is too short. Minimum audio length is {MIN_SECONDS} seconds.", "file",
                       "audio_too_short")
    return round(seconds, 3)


def segments(seconds: float, seed: str) -> list[dict]:
    count = max(1, min(MAX_SEGMENTS, round(seconds / SEGMENT_SECONDS)))
    step = seconds / count
    out = []
    for i in range(count):
        words = text.words(f"{seed}:{i}", 2).rstrip(".")
        tokens = [50364 + i] + [text.digest(w) % 50_000 for w in words.split()]
        out.append({"id": i, "seek": 0, "start": round(i * step, 3), "end": round((i + 1) * step, 3),
                    "text": " " + words.capitalize() + ".", "tokens": tokens, "temperature": 0.0,
                    "avg_logprob": -0.25, "compression_ratio": 0.8, "no_speech_prob": 0.1})
    return out


def timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(parts: list[dict]) -> str:
    return "".join(f"{n}\n{timestamp(s['start'], ',')} --> {timestamp(s['end'], ',')}\n{s['text'].strip()}\n\n"
                   for n, s in enumerate(parts, 1))


def vtt(parts: list[dict]) -> str:
    return "WEBVTT\n\n" + "".join(f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n{s['text'].strip()}\n\n"
                                  for s in parts)


def create(call: Call) -> JSONBody | TextBody:
    body = call.body if isinstance(call.body, dict) else {}
    p = Params(body, KNOWN)
    seconds = duration_of(body.get("file"))
    model = p.string("model", required=True)
    call.require_model(model)
    response_format = p.string("response_format", default="json")
    if response_format not in FORMATS:
        raise invalid_value("response_format", response_format, FORMATS)
    if p.string("stream") in ("true", "True", "1"):
        raise APIError(400, f"Streaming is not supported for the model {model}.", "stream", "unsupported_value")
    language = p.string("language")
    temperature = p.string("temperature")
    if temperature is not None:
        try:
            value = float(temperature)
        except ValueError:
            raise APIError(400, f"Invalid type for 'temperature': expected a decimal, but got '{temperature}'.",
                           "temperature", "invalid_type") from None
        if not 0 <= value <= 1 or math.isnan(value):
            raise APIError(400, f"Invalid 'temperature': expected a value between 0 and 1, but got {temperature}.",
                           "temperature", "invalid_value")
    parts = segments(seconds, f"{model}:{seconds}")
    transcript = "".join(s["text"] for s in parts).strip()
    usage = {"type": "duration", "seconds": math.ceil(seconds)}
    if response_format == "json":
        return JSONBody(call.apply("transcriptions.json", {"text": transcript, "usage": usage}))
    if response_format == "verbose_json":
        verbose = {"task": "transcribe", "language": LANGUAGES.get(language or "en", language or "english"),
                   "duration": seconds, "text": transcript, "segments": parts, "usage": usage}
        if body.get("timestamp_granularities[]") == "word":
            verbose["words"] = [{"word": word.strip(".,"), "start": s["start"], "end": s["end"]}
                                for s in parts for word in s["text"].split()]
        return JSONBody(call.apply("transcriptions.verbose", verbose))
    rendered = {"text": transcript + "\n", "srt": srt(parts), "vtt": vtt(parts)}[response_format]
    answer = call.apply(f"transcriptions.{response_format}", rendered)
    return TextBody(answer) if isinstance(answer, str) else JSONBody(answer)  # a fault may answer JSON instead
