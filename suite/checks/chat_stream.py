"""Checks of streamed chat completions: the SSE wire, chunk invariants, roles, finish reasons, usage and
logprobs.

A stream is judged from its decoded events (exchange.events), so the checks see what a client sees: comment
lines (keep-alive pings) are legal and never counted as events; a missing [DONE], an invalid JSON payload or
an error object inside a 200 stream are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from ..profile import schema_errors
from . import check
from .chat import (
    CHUNK_OBJECT,
    FINISH_REASONS,
    choices_of,
    described,
    first_content,
    message_of,
    report,
    success_body,
    token_problems,
    top_k_problems,
    usage_problems,
)
from .common import created_recent, id_prefix, incremental, is_int, no_response

STREAM_TYPE = "text/event-stream"


# -- reading a stream ------------------------------------------------------------------------------------
def _needs_stream(ex: Exchange, requirements: Iterable[str]) -> list[Finding]:
    """Skips for requirements that need a 200 event stream when there is none (content-type says why)."""
    if ex.status is None:
        return no_response(ex, requirements)
    if ex.ok and ex.is_stream:
        return []
    return [skipped(r, f"not applicable: the answer was not a 200 event stream ({ex.describe()})")
            for r in requirements]


def stream_check(*requirements: str) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., list[Finding]]]:
    """``@check`` for checks of a 200 event stream: without one, their requirements are not applicable."""
    def decorate(fn: Callable[..., Iterable[Finding]]) -> Callable[..., list[Finding]]:
        @functools.wraps(fn)
        def guarded(ex: Exchange, *args: Any, **kwargs: Any) -> Iterable[Finding]:
            missing = _needs_stream(ex, requirements)
            return missing if missing else fn(ex, *args, **kwargs)
        return check(*requirements)(guarded)
    return decorate


def is_error_payload(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("error") is not None


def chunks(ex: Exchange) -> list[tuple[int, dict]]:
    """(event index, chunk) for every JSON object payload except error objects, which are judged apart."""
    return [(event.index, payload) for event, payload in ex.chunks_json()
            if isinstance(payload, dict) and not is_error_payload(payload)]


@dataclass
class Delta:
    """One choice entry of one chunk."""

    event: int  # the index of the SSE event that carried it
    delta: dict
    finish_reason: Any
    logprobs: Any


@dataclass
class ChoiceTrack:
    """Everything one choice index received, in order."""

    index: int
    deltas: list[Delta] = field(default_factory=list)

    @property
    def finishes(self) -> list[tuple[int, Any]]:
        """(event, finish_reason) of every delta that carried a finish_reason."""
        return [(d.event, d.finish_reason) for d in self.deltas if d.finish_reason is not None]

    @property
    def content(self) -> str:
        return "".join(d.delta["content"] for d in self.deltas if isinstance(d.delta.get("content"), str))


def tracks(ex: Exchange) -> dict[int, ChoiceTrack]:
    """The stream regrouped by choice index. A choice without an integer index counts by its position in the
    chunk's choices (chunk-schema reports the missing index), so one omission does not hide every other
    check."""
    out: dict[int, ChoiceTrack] = {}
    for event, chunk in chunks(ex):
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            continue
        for pos, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            index = choice.get("index") if is_int(choice.get("index")) else pos
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            out.setdefault(index, ChoiceTrack(index)).deltas.append(
                Delta(event, delta, choice.get("finish_reason"), choice.get("logprobs")))
    return dict(sorted(out.items()))


def carries_output(delta: dict) -> bool:
    return bool(delta.get("content")) or bool(delta.get("refusal")) or bool(delta.get("tool_calls")) \
        or bool(delta.get("function_call"))


# -- the wire ----------------------------------------------------------------------------------------------
@check("chat.stream.content-type")
def content_type(ex: Exchange) -> Iterable[Finding]:
    req = "chat.stream.content-type"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    ok = ex.status == 200 and ex.content_type == STREAM_TYPE
    detail = " (the server ignored stream: true)" if ex.ok and ex.content_type == "application/json" else ""
    yield expect(req, ok, f"stream: true was answered {ex.describe()}{detail}; expected HTTP 200 "
                          f"{STREAM_TYPE}", status=ex.status, content_type=ex.headers.get("content-type"))


@stream_check("chat.stream.data-json", "chat.stream.done-sentinel", "chat.stream.after-done")
def wire(ex: Exchange) -> Iterable[Finding]:
    events = ex.data_events()
    bad = [problem for problem in ex.stream_problems if "UTF-8" in problem]
    for event in events:
        if event.is_done:
            continue
        if event.json_error is not None:
            bad.append(f"event #{event.index} data is not JSON ({event.json_error}): "
                       f"{short(event.data, 120)}")
        elif not isinstance(event.json(), dict):
            bad.append(f"event #{event.index} data is JSON {type(event.json()).__name__}, expected an "
                       f"object: {short(event.data, 120)}")
    yield report("chat.stream.data-json", bad)

    done = next((e for e in events if e.is_done), None)
    if done is None:
        last = events[-1].raw_lines if events else []
        yield failed("chat.stream.done-sentinel",
                     f"the stream ended without data: [DONE] after {len(events)} data events",
                     last_event=short(last, 200), transport_error=ex.error)
        yield skipped("chat.stream.after-done", "not applicable: the stream has no [DONE]")
        return
    yield expect("chat.stream.done-sentinel", done.terminated,
                 f"the [DONE] event (#{done.index}) was not ended by a blank line before the stream closed",
                 raw_lines=done.raw_lines)
    after = [e for e in (ex.events or []) if e.index > done.index]
    yield expect("chat.stream.after-done", not after,
                 f"{len(after)} event(s) arrived after [DONE] (event #{done.index}); the first: "
                 f"{short(after[0].raw_lines if after else '', 160)}", done_event=done.index)


@stream_check("chat.stream.no-error-event")
def error_events(ex: Exchange) -> Iterable[Finding]:
    req = "chat.stream.no-error-event"
    errors = [(event.index, payload) for event, payload in ex.chunks_json() if is_error_payload(payload)]
    if not errors:
        yield passed(req)
        return
    event, payload = errors[0]
    yield failed(req, f"the HTTP 200 stream carried an error at event #{event}: {short(payload, 200)}; "
                      f"OpenAI answers a failed request with a non-2xx JSON error before streaming",
                 error_events=[i for i, _ in errors])


# -- the chunks --------------------------------------------------------------------------------------------
@stream_check("chat.stream.chunk-schema", "chat.stream.object", "chat.stream.identity")
def chunk_shape(ex: Exchange) -> Iterable[Finding]:
    reqs = ("chat.stream.chunk-schema", "chat.stream.object", "chat.stream.identity")
    items = chunks(ex)
    if not items:
        message = f"the stream carried no chunk ({len(ex.data_events())} data events)"
        yield from (failed(r, message) for r in reqs)
        return
    schema = [f"event #{event} {v}" for event, chunk in items
              for v in schema_errors("CreateChatCompletionStreamResponse", chunk, limit=2)]
    yield report("chat.stream.chunk-schema", schema)
    objects = [f'event #{event}: object is {described(chunk, "object")}, expected "{CHUNK_OBJECT}"'
               for event, chunk in items if chunk.get("object") != CHUNK_OBJECT]
    yield report("chat.stream.object", objects)
    yield report("chat.stream.identity", identity_problems(items))


def identity_problems(items: list[tuple[int, dict]]) -> list[str]:
    problems = []
    for key, kind in (("id", "a non-empty string"), ("created", "an integer (Unix seconds)"),
                      ("model", "a non-empty string")):
        first_event, first = items[0][0], items[0][1].get(key)
        for event, chunk in items:
            value = chunk.get(key)
            valid = is_int(value) if key == "created" else isinstance(value, str) and bool(value)
            if not valid:
                problems.append(f"event #{event}: {key} is {described(chunk, key)}, expected {kind}")
                break
            if value != first:
                problems.append(f"event #{event}: {key} is {short(value, 60)}, but event #{first_event} said "
                                f"{short(first, 60)}")
                break
    fingerprints = [(event, chunk["system_fingerprint"]) for event, chunk in items
                    if chunk.get("system_fingerprint") is not None]
    changed = [(event, fp) for event, fp in fingerprints if fp != fingerprints[0][1]]
    if changed:
        (event, fingerprint), (first_event, first) = changed[0], fingerprints[0]
        problems.append(f"event #{event}: system_fingerprint is {short(fingerprint, 60)}, but event "
                        f"#{first_event} said {short(first, 60)}")
    return problems


@stream_check("chat.stream.role-first", "chat.stream.role-consistent", "chat.stream.role-once")
def roles(ex: Exchange) -> Iterable[Finding]:
    reqs = ("chat.stream.role-first", "chat.stream.role-consistent", "chat.stream.role-once")
    by_index = tracks(ex)
    if not by_index:
        yield from (skipped(r, "not applicable: no chunk carried a choice") for r in reqs)
        return
    first, other, repeated = [], [], []
    for index, track in by_index.items():
        opening = track.deltas[0]
        if opening.delta.get("role") != "assistant":
            first.append(f"choice {index}: its first delta (event #{opening.event}) has role "
                         f"{described(opening.delta, 'role')}, expected \"assistant\"")
        for later in track.deltas[1:]:
            role = later.delta.get("role")
            if role == "assistant":
                repeated.append(f"choice {index}: event #{later.event} repeats role \"assistant\"")
            elif role is not None:
                other.append(f"choice {index}: event #{later.event} has role {short(role, 40)} after the "
                             f"first delta")
    yield report("chat.stream.role-first", first)
    yield report("chat.stream.role-consistent", other)
    yield report("chat.stream.role-once", repeated, "", repeats=len(repeated))


@stream_check("chat.stream.finish-once", "chat.stream.finish-reason", "chat.stream.no-content-after-finish")
def finishes(ex: Exchange) -> Iterable[Finding]:
    by_index = tracks(ex)
    if not by_index:
        yield failed("chat.stream.finish-once", f"no chunk carried a choice, so no choice ever finished "
                                                f"({len(ex.data_events())} data events)")
        return
    once, values, after = [], [], []
    for index, track in by_index.items():
        ends = track.finishes
        if not ends:
            done = "then [DONE]" if any(e.is_done for e in ex.data_events()) else "and no [DONE]"
            once.append(f"choice {index} never got a finish_reason ({len(track.deltas)} deltas, {done})")
        elif len(ends) > 1:
            once.append(f"choice {index} got {len(ends)} finish_reasons, at events "
                        f"{', '.join(f'#{e} ({r})' for e, r in ends[:5])}")
        values += [f"choice {index}, event #{e}: finish_reason {short(r, 60)} is not one of "
                   f"{', '.join(FINISH_REASONS)}" for e, r in ends if r not in FINISH_REASONS]
        if ends:
            finished_at = ends[0][0]
            late = [d.event for d in track.deltas if d.event > finished_at and carries_output(d.delta)]
            if late:
                more = f" and {len(late) - 1} more" if len(late) > 1 else ""
                after.append(f"choice {index} finished at event #{finished_at} but got output at event "
                             f"#{late[0]}{more}")
    yield report("chat.stream.finish-once", once)
    yield report("chat.stream.finish-reason", values)
    yield report("chat.stream.no-content-after-finish", after)


@stream_check("chat.stream.required-keys")
def required_keys(ex: Exchange) -> Iterable[Finding]:
    """Every chunk choice carries finish_reason, null until it finishes (a serializer that drops null fields
    omits it)."""
    missing = [f"event #{event}, choice {pos}: no finish_reason key (expected null until the choice finishes)"
               for event, chunk in chunks(ex) if isinstance(chunk.get("choices"), list)
               for pos, choice in enumerate(chunk["choices"]) if isinstance(choice, dict)
               and "finish_reason" not in choice]
    yield report("chat.stream.required-keys", missing)


def identity(ex: Exchange) -> list[Finding]:
    """The id prefix and creation time of a stream, from its first chunk (chat.stream.identity holds the others
    to the same values)."""
    items = chunks(ex) if ex.ok and ex.is_stream else []
    if not items:
        return []
    first = items[0][1]
    return (id_prefix("chat.response.id-prefix", first.get("id"), f"event #{items[0][0]}: id")
            + created_recent(ex, "chat.response.created-recent", first.get("created"), f"event #{items[0][0]}: created"))


def content_pieces(ex: Exchange) -> list[str]:
    """The non-empty content deltas of choice 0, in order."""
    track = tracks(ex).get(0) if ex.ok and ex.is_stream else None
    return [d.delta["content"] for d in track.deltas if isinstance(d.delta.get("content"), str)
            and d.delta["content"]] if track else []


@stream_check("chat.stream.incremental")
def streams_incrementally(ex: Exchange) -> Iterable[Finding]:
    yield from incremental("chat.stream.incremental", content_pieces(ex), "answer")


# -- usage -------------------------------------------------------------------------------------------------
@stream_check("chat.stream.usage-final")
def usage_final(ex: Exchange) -> Iterable[Finding]:
    """stream_options.include_usage was true."""
    yield from judge_usage_final("chat.stream.usage-final", chunks(ex))


def judge_usage_final(req: str, items: list[tuple[int, dict]]) -> Iterable[Finding]:
    """The usage rules of a stream asked with include_usage (chat and legacy completions share them)."""
    carrying = [(event, chunk) for event, chunk in items if chunk.get("usage") is not None]
    if not carrying:
        yield failed(req, f"include_usage was requested but none of the {len(items)} chunks carried usage")
        return
    last_event, last = items[-1]
    problems = [f"event #{event} carries usage before the last chunk (#{last_event}); earlier chunks should "
                f"have usage null" for event, _ in carrying if event != last_event]
    if last.get("usage") is None:
        problems.append(f"the last chunk (event #{last_event}) has no usage")
    else:
        choices = last.get("choices")
        if choices != []:
            problems.append(f"the usage chunk (event #{last_event}) has choices {short(choices, 120)}, "
                            f"expected [] (a separate last chunk with no choices)")
        shape, mismatch = usage_problems(last["usage"])
        problems += [f"event #{last_event}: {p}" for p in shape + ([mismatch] if mismatch else [])]
    yield report(req, problems, usage=short(last.get("usage"), 200))


@stream_check("chat.stream.usage-unrequested")
def usage_unrequested(ex: Exchange) -> Iterable[Finding]:
    """stream_options.include_usage was not sent."""
    yield from judge_usage_unrequested("chat.stream.usage-unrequested", chunks(ex))


def judge_usage_unrequested(req: str, items: list[tuple[int, dict]]) -> Iterable[Finding]:
    carrying = [event for event, chunk in items if chunk.get("usage") is not None]
    yield expect(req, not carrying, f"usage arrived at event #{carrying[0] if carrying else 0} although "
                                    f"stream_options.include_usage was not requested", events=carrying[:10])


# -- n, logprobs ---------------------------------------------------------------------------------------------
@stream_check("chat.stream.n-choices")
def n_choices(ex: Exchange, n: int) -> Iterable[Finding]:
    req = "chat.stream.n-choices"
    by_index = tracks(ex)
    problems = []
    if sorted(by_index) != list(range(n)):
        problems.append(f"n={n}: the stream carried choice indexes {sorted(by_index)}, expected 0..{n - 1}")
    for index, track in by_index.items():
        if track.deltas[0].delta.get("role") != "assistant":
            problems.append(f"choice {index} did not start with role \"assistant\"")
        if len(track.finishes) != 1:
            problems.append(f"choice {index} got {len(track.finishes)} finish_reasons, expected 1")
    yield report(req, problems)


@stream_check("chat.stream.logprobs")
def logprobs(ex: Exchange, k: int) -> Iterable[Finding]:
    req = "chat.stream.logprobs"
    problems, entries_seen = [], 0
    for index, track in tracks(ex).items():
        for d in track.deltas:
            if not d.delta.get("content"):
                continue
            entries = d.logprobs.get("content") if isinstance(d.logprobs, dict) else None
            if not isinstance(entries, list) or not entries:
                problems.append(f"event #{d.event}, choice {index}: content {short(d.delta['content'], 40)} "
                                f"arrived with logprobs {short(d.logprobs, 80)}, expected "
                                f"logprobs.content entries")
                continue
            for i, entry in enumerate(entries):
                entries_seen += 1
                where = f"event #{d.event} /choices/{index}/logprobs/content/{i}"
                problems += token_problems(entry, where) + top_k_problems(entry, k, where)
    if not problems and not entries_seen:
        problems.append("no chunk carried content, so no logprobs could be checked")
    yield report(req, problems, f"logprobs true, top_logprobs {k}: ")


# -- stream options and determinism --------------------------------------------------------------------------
@check("chat.stream.options-require-stream")
def options_require_stream(ex: Exchange) -> Iterable[Finding]:
    req = "chat.stream.options-require-stream"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    yield expect(req, ex.status == 400, f"stream_options without stream: true was answered {ex.describe()}; "
                                        f"expected 400", status=ex.status)


def equivalence_unproven(plain: Exchange, control: Exchange, other: Exchange) -> str | None:
    """Why a comparison of the stream with ``plain`` would prove nothing, or None when it can be judged.

    ``control`` repeats ``plain``'s request and ``other`` changes only the prompt: the target must give the same
    answer twice (deterministic for this prompt) and another one to another prompt (a server that answers every
    prompt with one canned text would make any stream "match")."""
    answers = [first_content(ex) for ex in (plain, control, other)]
    if any(not a for a in answers):
        described = "; ".join(f"{name}: {ex.describe()}" for name, ex in
                              (("first", plain), ("repeat", control), ("other prompt", other)))
        return (f"not judged: needs three non-streamed answers with content to show the target is deterministic "
                f"({described})")
    first, repeat, different = answers
    if repeat != first:
        return (f"not judged: the target is not deterministic for this prompt (temperature 0, seed): the same "
                f"request answered {short(first, 80)}, then {short(repeat, 80)}")
    if different == first:
        return (f"not judged: the target gave the same answer {short(first, 80)} to a different prompt, so a "
                f"matching stream would prove nothing")
    return None


@check("chat.stream.matches-non-stream")
def matches_non_stream(stream: Exchange, plain: Exchange) -> Iterable[Finding]:
    req = "chat.stream.matches-non-stream"
    body = success_body(plain)
    choices = choices_of(body) if body else []
    expected = message_of(choices[0][1]).get("content") if choices else None
    track = tracks(stream).get(0) if stream.ok and stream.is_stream and not stream.error_kind else None
    if not isinstance(expected, str) or track is None:  # a cut stream's text is judged by transport.* instead
        yield skipped(req, f"not applicable: needs a streamed and a non-streamed answer with content "
                           f"(stream: {stream.describe()}; non-stream: {plain.describe()})")
        return
    yield expect(req, track.content == expected,
                 f"with temperature 0 and a seed the stream said {short(track.content, 150)} but the "
                 f"non-streamed answer said {short(expected, 150)}", streamed=short(track.content, 300),
                 non_streamed=short(expected, 300))


# -- timing ------------------------------------------------------------------------------------------------
def timing(ex: Exchange) -> tuple[float | None, list[float]]:
    """Seconds to the first chunk, and the gaps between successive data events (for the report's metrics)."""
    offsets = [event.offset for event in ex.data_events()]
    if not offsets:
        return None, []
    return offsets[0], [round(b - a, 4) for a, b in zip(offsets, offsets[1:])]


def invariants(ex: Exchange, include_usage: bool = False) -> list[Finding]:
    """Every check that applies to any streamed chat completion."""
    findings = content_type(ex) + wire(ex) + error_events(ex) + chunk_shape(ex) + roles(ex) + finishes(ex) \
        + required_keys(ex) + identity(ex)
    return findings + (usage_final(ex) if include_usage else usage_unrequested(ex))

