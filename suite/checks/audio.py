"""Checks of POST /audio/transcriptions in each response format: json, text, verbose_json (segments and their
times), srt and vtt (parsed cue by cue); and the refusal of requests missing the file or the model.

What a transcript says is never judged: the suite uploads a tone, and any wording (or none) is fine.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .common import is_int, no_response, rejected_ideally_400

JSON = "audio.transcription.json"
TEXT = "audio.transcription.text"
TEXT_CONTENT_TYPE = "audio.formats.text-content-type"
VERBOSE_SHAPE = "audio.verbose.shape"
TASK = "audio.verbose.task"
SEGMENTS = "audio.verbose.segments"
SEGMENT_SHAPE = "audio.verbose.segment-shape"
SEGMENT_FIELDS = "audio.verbose.segment-fields"
ORDERED = "audio.verbose.segments-ordered"
WITHIN = "audio.verbose.within-duration"
DURATION = "audio.verbose.duration-plausible"
SRT_FORMAT = "audio.srt.format"
SRT_ORDERED = "audio.srt.cues-ordered"
VTT_FORMAT = "audio.vtt.format"
VTT_ORDERED = "audio.vtt.cues-ordered"
FILE_MISSING = "audio.input.file-missing-rejected"
MODEL_MISSING = "audio.input.model-missing-rejected"
STATUS_400 = "audio.input.status-400"

VERBOSE_CHECKS = (VERBOSE_SHAPE, TASK, SEGMENTS, SEGMENT_SHAPE, SEGMENT_FIELDS, ORDERED, WITHIN, DURATION)
DECODING_FIELDS = ("seek", "tokens", "temperature", "avg_logprob", "compression_ratio", "no_speech_prob")
TIME_SLACK = 0.001  # seconds: floats of times that touch may differ by rounding
DURATION_SLACK = 0.1  # seconds a segment may end after the duration (timestamps are rounded to 20 ms steps)
DURATION_TOLERANCE = 0.5  # seconds between the reported duration and the uploaded audio's length


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def answered_200(ex: Exchange, requirement: str, what: str) -> Finding | None:
    """A failure of ``requirement`` unless the exchange is a 200 answer."""
    if ex.status == 200:
        return None
    return failed(requirement, f"response_format {what} answered {ex.describe()}, expected 200",
                  status=ex.status, body=short(ex.body, 300))


def json_object(ex: Exchange) -> dict | None:
    body = ex.json() if ex.content_type == "application/json" else None
    return body if isinstance(body, dict) else None


@check(JSON)
def json_transcription(ex: Exchange) -> Iterable[Finding]:
    """response_format json: an application/json object with a string text."""
    if ex.status is None:
        yield from no_response(ex, (JSON,))
        return
    refused = answered_200(ex, JSON, '"json"')
    if refused:
        yield refused
        return
    body = json_object(ex)
    if body is None:
        yield failed(JSON, f"response_format \"json\" answered content type {ex.headers.get('content-type', '(none)')!r}"
                           f" with {short(ex.body, 120)}, expected a JSON object {{\"text\": ...}}",
                     content_type=ex.headers.get("content-type"))
        return
    yield expect(JSON, isinstance(body.get("text"), str),
                 f"text is {short(body.get('text'), 60) if 'text' in body else 'missing'}, expected a string "
                 f"(keys: {short(sorted(body), 120)})", pointer="/text")


def looks_like_json(text: str) -> Any:
    """The JSON object or string a plain-text answer was wrapped in, else None."""
    stripped = text.strip()
    if not stripped.startswith(("{", '"')):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, (dict, str)) else None


def plain_text_content_type(ex: Exchange, fmt: str) -> Finding:
    return expect(TEXT_CONTENT_TYPE, ex.content_type == "text/plain",
                  f"response_format \"{fmt}\" answered content type {ex.headers.get('content-type', '(none)')!r}, "
                  f"expected text/plain", content_type=ex.headers.get("content-type"))


@check(TEXT, TEXT_CONTENT_TYPE)
def text_transcription(ex: Exchange) -> Iterable[Finding]:
    """response_format text: the bare transcript (any wording, even none), served as text/plain."""
    if ex.status is None:
        yield from no_response(ex, (TEXT, TEXT_CONTENT_TYPE))
        return
    refused = answered_200(ex, TEXT, '"text"')
    if refused:
        yield refused
        yield skipped(TEXT_CONTENT_TYPE, "not judged: no text answer came back")
        return
    wrapped = looks_like_json(ex.text)
    yield expect(TEXT, wrapped is None,
                 f"response_format \"text\" answered JSON {short(ex.body, 120)}, expected the bare transcript "
                 f"(the format was ignored?)", body=short(ex.body, 200))
    yield plain_text_content_type(ex, "text")


@check(*VERBOSE_CHECKS)
def verbose_transcription(ex: Exchange, audio_seconds: float | None = None) -> Iterable[Finding]:
    """response_format verbose_json: language, duration, text, task and segments with times in order, within the
    duration; ``audio_seconds`` is the uploaded audio's length, when known."""
    if ex.status is None:
        yield from no_response(ex, VERBOSE_CHECKS)
        return
    body = json_object(ex) if ex.status == 200 else None
    if body is None:
        yield failed(VERBOSE_SHAPE, f"response_format \"verbose_json\" answered {ex.describe()} "
                                    f"{short(ex.body, 120)}, expected 200 with a JSON object",
                     status=ex.status, content_type=ex.headers.get("content-type"))
        yield from (skipped(r, "not judged: no verbose_json object came back") for r in VERBOSE_CHECKS[1:])
        return
    problems = []
    if not isinstance(body.get("language"), str):
        problems.append(f"language is {short(body.get('language'), 40) if 'language' in body else 'missing'}, "
                        f"expected a string")
    duration = body.get("duration")
    if not is_number(duration) or duration < 0:
        problems.append(f"duration is {short(duration, 40) if 'duration' in body else 'missing'}, expected a "
                        f"non-negative number of seconds")
    if not isinstance(body.get("text"), str):
        problems.append(f"text is {short(body.get('text'), 40) if 'text' in body else 'missing'}, expected a string")
    yield expect(VERBOSE_SHAPE, not problems, "; ".join(problems), problems=problems)
    yield expect(TASK, body.get("task") == "transcribe",
                 f"task is {short(body.get('task'), 40) if 'task' in body else 'missing'}, expected \"transcribe\"",
                 pointer="/task")
    duration = duration if is_number(duration) else None
    yield from duration_plausible(duration, audio_seconds)
    yield from segments(ex, body, duration)


def duration_plausible(duration: float | None, audio_seconds: float | None) -> Iterable[Finding]:
    if audio_seconds is None or duration is None:
        yield skipped(DURATION, "not judged: the audio's length or the reported duration is unknown")
        return
    hint = " (milliseconds instead of seconds?)" if abs(duration / 1000 - audio_seconds) <= DURATION_TOLERANCE \
        else ""
    yield expect(DURATION, abs(duration - audio_seconds) <= DURATION_TOLERANCE,
                 f"duration is {duration}, the uploaded audio lasts {audio_seconds:g} s{hint}", pointer="/duration")


def words_only(ex: Exchange) -> bool:
    """The request asked for word timestamps only, when OpenAI leaves segments out."""
    fields = ex.request_json if isinstance(ex.request_json, dict) else {}
    wanted = fields.get("timestamp_granularities[]", fields.get("timestamp_granularities"))
    return wanted == "word" or wanted == ["word"]


def segments(ex: Exchange, body: dict, duration: float | None) -> Iterable[Finding]:
    parts = body.get("segments")
    later = (SEGMENT_SHAPE, SEGMENT_FIELDS, ORDERED, WITHIN)
    if not isinstance(parts, list):
        if words_only(ex):
            yield skipped(SEGMENTS, "not judged: only word timestamps were asked for")
        else:
            yield failed(SEGMENTS, f"segments is {short(parts, 60) if 'segments' in body else 'missing'}, expected "
                                   f"an array of segments", pointer="/segments")
        yield from (skipped(r, "not judged: no segments array") for r in later)
        return
    yield passed(SEGMENTS)
    if not parts:
        yield from (skipped(r, "not judged: the transcript has no segment (silence)") for r in later)
        return
    shape, fields, times = [], [], []
    for i, seg in enumerate(parts):
        if not isinstance(seg, dict):
            shape.append(f"segments[{i}] is {short(seg, 40)}, expected an object")
            continue
        start, end = seg.get("start"), seg.get("end")
        if not is_int(seg.get("id")):
            shape.append(f"segments[{i}].id is {short(seg.get('id'), 40)}, expected an integer")
        if not isinstance(seg.get("text"), str):
            shape.append(f"segments[{i}].text is {short(seg.get('text'), 40)}, expected a string")
        if not (is_number(start) and is_number(end)):
            shape.append(f"segments[{i}] start {short(start, 30)} / end {short(end, 30)}, expected numbers")
        elif not 0 <= start <= end:
            shape.append(f"segments[{i}] starts at {start} and ends at {end}: expected 0 <= start <= end")
        else:
            times.append((i, seg.get("id"), start, end))
        absent = [name for name in DECODING_FIELDS if name not in seg]
        if absent:
            fields.append(f"segments[{i}] lacks {', '.join(absent)}")
    yield expect(SEGMENT_SHAPE, not shape, "; ".join(shape[:4]), problems=shape[:10])
    yield expect(SEGMENT_FIELDS, not fields, "; ".join(fields[:3]), problems=fields[:10])
    yield from times_in_order(ORDERED, [(f"segments[{i}] (id {ident})", s, e) for i, ident, s, e in times],
                              TIME_SLACK)
    yield from segment_ids(times)
    yield from within_duration(times, duration)


def times_in_order(requirement: str, cues: list[tuple[str, float, float]], slack: float) -> Iterable[Finding]:
    """Cues (name, start, end) each starting no earlier than the previous one ended (and start <= end)."""
    if not cues:
        yield skipped(requirement, "not judged: no cue with readable times")
        return
    problems = [f"{name} starts at {start:g} after it ends at {end:g}" for name, start, end in cues if start > end]
    for (name_a, _, end_a), (name_b, start_b, _) in zip(cues, cues[1:]):
        if start_b < end_a - slack:
            problems.append(f"{name_b} starts at {start_b:g}, before {name_a} ends at {end_a:g}")
    yield expect(requirement, not problems, "; ".join(problems[:3]) + (": cues must be in time order without "
                                                                       "overlapping" if problems else ""),
                 problems=problems[:10])


def segment_ids(times: list[tuple[int, Any, float, float]]) -> Iterable[Finding]:
    ids = [ident for _, ident, _, _ in times if is_int(ident)]  # other ids: see audio.verbose.segment-shape
    if any(b <= a for a, b in zip(ids, ids[1:])):
        yield failed(ORDERED, f"segment ids {short(ids, 80)} do not increase", ids=ids[:20])


def within_duration(times: list[tuple[int, Any, float, float]], duration: float | None) -> Iterable[Finding]:
    if duration is None:
        yield skipped(WITHIN, "not judged: the duration is not a number (see audio.verbose.shape)")
        return
    late = [f"segments[{i}] ends at {end:g}" for i, _, _, end in times if end > duration + DURATION_SLACK]
    yield expect(WITHIN, not late, f"{'; '.join(late[:3])}, after the duration {duration:g}", pointer="/segments")


# -- subtitles ------------------------------------------------------------------------------------------------
SRT_TIMING = re.compile(r"^(\d{2,}):(\d{2}):(\d{2}),(\d{3}) --> (\d{2,}):(\d{2}):(\d{2}),(\d{3})$")
VTT_TIME = r"(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})"
VTT_TIMING = re.compile(rf"^{VTT_TIME} --> {VTT_TIME}(?:[ \t].*)?$")
DOT_INSTEAD = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3} --> ")
COMMA_INSTEAD = re.compile(r"\d{2}:\d{2}:\d{2},\d{3} --> ")


@dataclass
class Cue:
    name: str
    start: float
    end: float


def seconds(hours: str | None, minutes: str, secs: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000


def blocks(text: str) -> list[list[str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            out[-1].append(line)
        elif out[-1]:
            out.append([])
    return [b for b in out if b]


def parse_srt(text: str) -> tuple[list[Cue], list[str]]:
    """(cues, problems) of a SubRip document."""
    cues, problems = [], []
    for n, block in enumerate(blocks(text), 1):
        if block[0].strip() != str(n):
            problems.append(f"cue {n} is numbered {short(block[0], 30)}, expected {n}")
        timing = SRT_TIMING.match(block[1].strip()) if len(block) > 1 else None
        if timing is None:
            line = block[1] if len(block) > 1 else "(nothing)"
            hint = " (a '.' before the milliseconds: that is WebVTT, SubRip uses ',')" \
                if DOT_INSTEAD.search(line) else ""
            problems.append(f"cue {n} timing line is {short(line, 60)}, expected "
                            f"\"HH:MM:SS,mmm --> HH:MM:SS,mmm\"{hint}")
            continue
        g = timing.groups()
        cues.append(Cue(f"cue {n}", seconds(*g[:4]), seconds(*g[4:])))
    return cues, problems


def parse_vtt(text: str) -> tuple[list[Cue], list[str]]:
    """(cues, problems) of a WebVTT document."""
    body = text.lstrip("\ufeff")
    first = body.replace("\r\n", "\n").split("\n", 1)[0]
    problems = []
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        problems.append(f"the first line is {short(first, 40)}, expected the \"WEBVTT\" header")
    cues = []
    for block in blocks(body)[1 if not problems else 0:]:
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_line = next((line for line in block[:2] if "-->" in line), None)
        timing = VTT_TIMING.match(timing_line.strip()) if timing_line else None
        if timing is None:
            line = timing_line or block[0]
            hint = " (a ',' before the milliseconds: that is SubRip, WebVTT uses '.')" \
                if COMMA_INSTEAD.search(line) else ""
            problems.append(f"cue {len(cues) + 1} timing line is {short(line, 60)}, expected "
                            f"\"HH:MM:SS.mmm --> HH:MM:SS.mmm\"{hint}")
            continue
        g = timing.groups()
        cues.append(Cue(f"cue {len(cues) + 1}", seconds(*g[:4]), seconds(*g[4:])))
    return cues, problems


@check(SRT_FORMAT, SRT_ORDERED, VTT_FORMAT, VTT_ORDERED, TEXT_CONTENT_TYPE)
def subtitles(ex: Exchange, fmt: str) -> Iterable[Finding]:
    """response_format srt or vtt (``fmt``): a document of that format whose cues come in time order."""
    form, ordered = (SRT_FORMAT, SRT_ORDERED) if fmt == "srt" else (VTT_FORMAT, VTT_ORDERED)
    if ex.status is None:
        yield from no_response(ex, (form, ordered, TEXT_CONTENT_TYPE))
        return
    refused = answered_200(ex, form, f'"{fmt}"')
    if refused:
        yield refused
        yield from (skipped(r, f"not judged: no {fmt} answer came back") for r in (ordered, TEXT_CONTENT_TYPE))
        return
    if looks_like_json(ex.text) is not None:
        yield failed(form, f"response_format \"{fmt}\" answered JSON {short(ex.body, 120)}, expected a "
                           f"{'SubRip' if fmt == 'srt' else 'WebVTT'} document (the format was ignored?)")
        yield skipped(ordered, f"not judged: the answer is not a {fmt} document")
        yield plain_text_content_type(ex, fmt)
        return
    cues, problems = (parse_srt if fmt == "srt" else parse_vtt)(ex.text)
    yield expect(form, not problems, "; ".join(problems[:3]), problems=problems[:10], body=short(ex.body, 300))
    yield from times_in_order(ordered, [(c.name, c.start, c.end) for c in cues], 0.0)
    yield plain_text_content_type(ex, fmt)


@check(FILE_MISSING, MODEL_MISSING, STATUS_400)
def part_missing_rejected(ex: Exchange, requirement: str, missing: str) -> Iterable[Finding]:
    """A transcription request without its ``missing`` part is refused with a 4xx, ideally 400."""
    yield from rejected_ideally_400(ex, requirement, STATUS_400, f"a transcription request without {missing}")
