"""Faults of POST /audio/transcriptions, as self-hosted Whisper servers and gateways have shipped them."""

from __future__ import annotations

from typing import Any

from ..wire import APIError
from . import FaultContext, fault
from ._requests import serve_unknown_model

ENDPOINT = "audio.transcriptions"


def _segments(change):
    """A transcriptions.verbose hook that replaces the segments by ``change(segments)``."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        return {**body, "segments": change([dict(s) for s in body["segments"]])}
    return hook


def _overlap(segments: list[dict]) -> list[dict]:
    for before, after in zip(segments, segments[1:]):
        after["start"] = round(before["end"] - 0.1, 3)
    return segments


def _end_before_start(segments: list[dict]) -> list[dict]:
    first = segments[0]
    first["start"], first["end"] = first["end"], first["start"]
    return segments


def _past_duration(segments: list[dict]) -> list[dict]:
    segments[-1]["end"] = round(segments[-1]["end"] + 1.5, 3)
    return segments


def _minimal(segments: list[dict]) -> list[dict]:
    return [{k: s[k] for k in ("id", "start", "end", "text")} for s in segments]


def _missing_file_crashes(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    if ctx.endpoint == ENDPOINT and status == 400 and (body.get("error") or {}).get("param") == "file":
        return 500, APIError(500, "Internal server error: 'NoneType' object has no attribute 'read'", None, None,
                             "server_error").body()
    return error


def _default_model(body: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint == ENDPOINT and "model" not in body:
        return {**body, "model": "ref-whisper"}
    return body


def _validation_422(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    return (422, body) if ctx.endpoint == ENDPOINT and status == 400 else error


def _detail_errors(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    if ctx.endpoint != ENDPOINT:
        return error
    param = (body.get("error") or {}).get("param")
    return status, {"detail": [{"loc": ["body", param], "msg": "field required", "type": "value_error.missing"}]}


def _dot_timestamps(text: str, ctx: FaultContext) -> str:
    return "\n".join(line.replace(",", ".") if "-->" in line else line for line in text.split("\n"))


def _reverse_cues(text: str, ctx: FaultContext) -> str:
    header, _, cues = text.partition("\n\n")
    blocks = [b for b in cues.split("\n\n") if b.strip()]
    return header + "\n\n" + "".join(b + "\n\n" for b in reversed(blocks))


def _renumber_srt_reversed(text: str, ctx: FaultContext) -> str:
    blocks = [b.split("\n", 1)[1] for b in text.split("\n\n") if b.strip()]
    return "".join(f"{n}\n{b}\n\n" for n, b in enumerate(reversed(blocks), 1))


fault("audio-text-as-json", ["audio.transcription.text"],
      "response_format \"text\" is ignored: the transcript comes back as the JSON object {\"text\": ...}.",
      transcriptions_text=lambda text, ctx: {"text": text.strip()})

fault("audio-json-transcript-key", ["audio.transcription.json"],
      "The json format names the transcript \"transcript\" instead of \"text\".",
      transcriptions_json=lambda body, ctx: {"transcript": body["text"]})

fault("audio-text-content-type-json", ["audio.formats.text-content-type"],
      "Plain-text formats (text, srt, vtt) are labelled application/json.",
      response_headers=lambda headers, ctx: {**headers, "content-type": "application/json"}
      if ctx.endpoint == ENDPOINT and headers.get("content-type", "").startswith("text/plain") else headers)

fault("audio-verbose-duration-string", ["audio.verbose.shape"],
      "verbose_json carries the duration as a string (\"0.5\").",
      transcriptions_verbose=lambda body, ctx: {**body, "duration": str(body["duration"])})

fault("audio-verbose-no-task", ["audio.verbose.task"],
      "verbose_json carries no task field.",
      transcriptions_verbose=lambda body, ctx: {k: v for k, v in body.items() if k != "task"})

fault("audio-verbose-no-segments", ["audio.verbose.segments"],
      "verbose_json carries no segments, only the text (servers without timestamp support).",
      transcriptions_verbose=lambda body, ctx: {k: v for k, v in body.items() if k != "segments"})

fault("audio-segment-end-before-start", ["audio.verbose.segment-shape"],
      "A segment's start and end are swapped.",
      transcriptions_verbose=_segments(_end_before_start))

fault("audio-segments-minimal", ["audio.verbose.segment-fields"],
      "Segments carry only id, start, end and text, not Whisper's decoding details.",
      transcriptions_verbose=_segments(_minimal))

fault("audio-segments-overlap", ["audio.verbose.segments-ordered"],
      "Consecutive segments overlap: each starts before the previous one ends (chunked decoding stitched "
      "without trimming).",
      transcriptions_verbose=_segments(_overlap))

fault("audio-segments-past-duration", ["audio.verbose.within-duration"],
      "The last segment ends well after the end of the audio (the padded decoding window's timestamps).",
      transcriptions_verbose=_segments(_past_duration))

fault("audio-duration-milliseconds", ["audio.verbose.duration-plausible"],
      "verbose_json reports the duration in milliseconds instead of seconds.",
      transcriptions_verbose=lambda body, ctx: {**body, "duration": round(body["duration"] * 1000)})

fault("audio-srt-dot-milliseconds", ["audio.srt.format"],
      "SubRip timestamps use '.' before the milliseconds (WebVTT's separator) instead of ','.",
      transcriptions_srt=_dot_timestamps)

fault("audio-srt-cues-reversed", ["audio.srt.cues-ordered"],
      "SubRip cues are numbered in order but their times run backwards.",
      transcriptions_srt=_renumber_srt_reversed)

fault("audio-vtt-no-header", ["audio.vtt.format"],
      "The WebVTT document lacks its \"WEBVTT\" header line.",
      transcriptions_vtt=lambda text, ctx: text.partition("\n\n")[2])

fault("audio-vtt-cues-reversed", ["audio.vtt.cues-ordered"],
      "WebVTT cues come in reverse time order.",
      transcriptions_vtt=_reverse_cues)

fault("audio-missing-file-500", ["audio.input.file-missing-rejected"],
      "A request without a file crashes the handler: HTTP 500 instead of 400.",
      error=_missing_file_crashes)

fault("audio-default-model", ["audio.input.model-missing-rejected"],
      "A request without a model is transcribed with a default model instead of refused.",
      request=_default_model)

fault("audio-validation-422", ["audio.input.status-400"],
      "Transcription requests missing a part are refused with 422, FastAPI's status for request validation, "
      "instead of 400.",
      error=_validation_422)

fault("audio-errors-detail", ["errors.body.shape"],
      "Transcription errors are FastAPI's {\"detail\": [...]} instead of OpenAI's error object.",
      error=_detail_errors)

fault("audio-unknown-model-ignored", ["audio.model.unknown-404"],
      "A transcription request naming a model that does not exist is transcribed by the loaded model (whisper servers that ignore the model field).",
      models_unknown=serve_unknown_model("audio.transcriptions"))
