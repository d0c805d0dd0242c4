"""Checks of the legacy POST /completions, streamed and not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .chat_stream import identity_problems, judge_usage_final, judge_usage_unrequested
from .common import created_recent, id_prefix, incremental, is_int, no_response, not_a_stream

SHAPE = "completions.response.shape"
FINISH_VALUES = "completions.finish-reason.values"
LOGPROBS = "completions.logprobs.null-unless-asked"
MAX_TOKENS = "completions.max-tokens.length"
USAGE = "completions.usage.consistent"
STREAM_CHUNKS = "completions.stream.chunks"
STREAM_DONE = "completions.stream.done"
STREAM_FINISH = "completions.stream.finish-reason"
REQUIRED_KEYS = "completions.response.required-keys"
STREAM_IDENTITY = "completions.stream.identity"

FINISH_REASONS = ("stop", "length", "content_filter")
UNIX_SECONDS_LIMIT = 10**11  # larger values are milliseconds


def requested(ex: Exchange, key: str) -> Any:
    return ex.request_json.get(key) if isinstance(ex.request_json, dict) else None


def completion_body(ex: Exchange) -> dict | None:
    """The parsed body of a non-streamed 200 answer, else None."""
    body = ex.json() if ex.status == 200 and not ex.is_stream else None
    return body if isinstance(body, dict) else None


def choice_list(obj: Any) -> list:
    choices = obj.get("choices") if isinstance(obj, dict) else None
    return choices if isinstance(choices, list) else []


def not_judged(ex: Exchange, requirements: Iterable[str]) -> list[Finding]:
    """Findings for requirements that need a completion when none came back."""
    if ex.status is None:
        return no_response(ex, requirements)
    return [skipped(r, f"not judged: {ex.method} {ex.path} answered {ex.describe()}") for r in requirements]


def choice_problems(choice: Any, where: str) -> list[str]:
    if not isinstance(choice, dict):
        return [f"{where} is {short(choice, 60)}, expected a choice object"]
    problems = []
    if not isinstance(choice.get("text"), str):
        problems.append(f"{where}.text is {short(choice.get('text'), 60) if 'text' in choice else 'missing'}, "
                        f"expected a string")
    if not is_int(choice.get("index")):
        problems.append(f"{where}.index is {short(choice.get('index'), 40) if 'index' in choice else 'missing'}, "
                        f"expected an integer")
    return problems


def envelope_problems(obj: dict, where: str) -> list[str]:
    """The fields a completion and each of its stream chunks share."""
    problems = []
    if obj.get("object") != "text_completion":
        problems.append(f"{where}object is {short(obj.get('object'), 60)}, expected \"text_completion\"")
    for key in ("id", "model"):
        if not isinstance(obj.get(key), str):
            problems.append(f"{where}{key} is {short(obj.get(key), 60)}, expected a string")
    created = obj.get("created")
    if not is_int(created):
        problems.append(f"{where}created is {short(created, 40)}, expected an integer (Unix seconds)")
    elif created > UNIX_SECONDS_LIMIT:
        problems.append(f"{where}created is {created}, which looks like milliseconds, not Unix seconds")
    return problems


@check(SHAPE)
def completion_shape(ex: Exchange) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (SHAPE,))
        return
    body = completion_body(ex)
    if body is None:
        yield failed(SHAPE, f"POST /completions answered {ex.describe()}, expected 200 with a text_completion object",
                     status=ex.status, body=short(ex.body, 300))
        return
    problems = envelope_problems(body, "")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        problems.append(f"choices is {short(choices, 60)}, expected a non-empty array")
    else:
        for i, choice in enumerate(choices):
            problems += choice_problems(choice, f"choices[{i}]")
    yield expect(SHAPE, not problems, "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                                                 if len(problems) > 5 else ""),
                 problems=problems[:10], received=short(body, 300))


@check(FINISH_VALUES)
def finish_reason_values(ex: Exchange) -> Iterable[Finding]:
    """Every finish_reason is one of OpenAI's three; a non-streamed choice always has one."""
    if ex.is_stream:
        reasons = [(f"event {event.index} choices[{i}]", choice.get("finish_reason"))
                   for event, chunk in ex.chunks_json() for i, choice in enumerate(choice_list(chunk))
                   if isinstance(choice, dict) and choice.get("finish_reason") is not None]
    else:
        body = completion_body(ex)
        if body is None:
            yield from not_judged(ex, (FINISH_VALUES,))
            return
        reasons = [(f"choices[{i}]", c.get("finish_reason") if isinstance(c, dict) else None)
                   for i, c in enumerate(choice_list(body))]
    if not reasons:
        yield skipped(FINISH_VALUES, "not judged: no finish_reason in the answer "
                                     "(see completions.stream.finish-reason)")
        return
    bad = [(where, value) for where, value in reasons if value not in FINISH_REASONS]
    if bad:
        where, value = bad[0]
        yield failed(FINISH_VALUES, f"{where}.finish_reason is {short(value, 60)}, expected one of "
                                    f"{', '.join(FINISH_REASONS)}", where=where,
                     received=sorted({short(v, 40) for _, v in bad}))
    else:
        yield passed(FINISH_VALUES)


@check(LOGPROBS)
def logprobs_unrequested(ex: Exchange) -> Iterable[Finding]:
    """Without logprobs in the request, every choice's logprobs is null or absent."""
    if requested(ex, "logprobs") is not None:
        return
    if ex.is_stream:
        choices = [(f"event {event.index} choices[{i}]", c) for event, chunk in ex.chunks_json()
                   for i, c in enumerate(choice_list(chunk))]
    else:
        body = completion_body(ex)
        if body is None:
            yield from not_judged(ex, (LOGPROBS,))
            return
        choices = [(f"choices[{i}]", c) for i, c in enumerate(choice_list(body))]
    present = [(where, c["logprobs"]) for where, c in choices if isinstance(c, dict) and c.get("logprobs") is not None]
    if present:
        where, value = present[0]
        yield failed(LOGPROBS, f"{where}.logprobs is {short(value, 100)} although the request did not ask for "
                               f"logprobs; expected null", choices_with_logprobs=len(present))
    else:
        yield passed(LOGPROBS)


def completion_tokens(body: dict) -> int | None:
    usage = body.get("usage")
    value = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return value if is_int(value) else None


@check(MAX_TOKENS)
def max_tokens_length(ex: Exchange) -> Iterable[Finding]:
    """A completion that used up max_tokens says "length" and used no more than that."""
    limit = requested(ex, "max_tokens")
    body = completion_body(ex)
    if body is None or not is_int(limit):
        yield from not_judged(ex, (MAX_TOKENS,))
        return
    choices = choice_list(body)
    reason = choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) else None
    used = completion_tokens(body)
    if used is not None and used > limit:
        yield failed(MAX_TOKENS, f"usage.completion_tokens is {used} although max_tokens was {limit} "
                                 f"(finish_reason {short(reason, 40)})", completion_tokens=used, max_tokens=limit)
    elif reason == "length":
        yield passed(MAX_TOKENS)
    elif used is None:
        yield skipped(MAX_TOKENS, f"not judged: finish_reason is {short(reason, 40)} and usage.completion_tokens is "
                                  f"missing, so whether max_tokens ({limit}) was reached is unknown")
    elif used == limit:
        yield failed(MAX_TOKENS, f"the completion used all {limit} max_tokens but finish_reason is "
                                 f"{short(reason, 40)}, expected \"length\"", finish_reason=reason,
                     completion_tokens=used)
    else:
        yield skipped(MAX_TOKENS, f"not judged: the model stopped on its own after {used} of {limit} tokens")


@check(USAGE)
def usage_consistent(ex: Exchange) -> Iterable[Finding]:
    body = completion_body(ex)
    if body is None:
        yield from not_judged(ex, (USAGE,))
        return
    usage = body.get("usage")
    if not isinstance(usage, dict):
        yield failed(USAGE, f"usage is {short(usage, 80) if 'usage' in body else 'missing'}, expected "
                            f"{{prompt_tokens, completion_tokens, total_tokens}}", pointer="/usage")
        return
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    problems = [f"usage.{k} is {short(usage.get(k), 40)}, expected a non-negative integer" for k in keys
                if not is_int(usage.get(k)) or usage[k] < 0]
    if not problems and usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]:
        problems.append(f"usage.total_tokens is {usage['total_tokens']}, expected prompt_tokens + completion_tokens "
                        f"= {usage['prompt_tokens'] + usage['completion_tokens']}")
    yield expect(USAGE, not problems, "; ".join(problems), pointer="/usage", usage=short(usage, 200))


# -- streaming ------------------------------------------------------------------------------------------------
@check(STREAM_CHUNKS)
def stream_chunks(ex: Exchange) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (STREAM_CHUNKS,))
        return
    problem = not_a_stream(ex)
    if problem:
        yield failed(STREAM_CHUNKS, problem, status=ex.status, body=short(ex.body, 300))
        return
    problems: list[tuple[int, str]] = []
    for event in ex.data_events():
        if event.is_done:
            continue
        chunk = event.json()
        if event.json_error:
            problems.append((event.index, f"data is not JSON ({event.json_error}): {event.data[:120]}"))
        elif not isinstance(chunk, dict):
            problems.append((event.index, f"data is {short(chunk, 80)}, expected a text_completion chunk object"))
        elif "error" in chunk and "choices" not in chunk:
            problems.append((event.index, f"an error inside a 200 stream: {short(chunk['error'], 200)}"))
        else:
            problems += [(event.index, p) for p in envelope_problems(chunk, "")]
            if not isinstance(chunk.get("choices"), list):
                problems.append((event.index, f"choices is {short(chunk.get('choices'), 60)}, expected an array"))
            for i, choice in enumerate(choice_list(chunk)):
                problems += [(event.index, p) for p in choice_problems(choice, f"choices[{i}]")]
    if not any(not e.is_done for e in ex.data_events()):
        problems.append((0, "the stream carries no chunk at all"))
    if problems:
        index, first = problems[0]
        yield failed(STREAM_CHUNKS, f"event {index}: {first}"
                     + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""),
                     event=index, problems=[f"event {i}: {p}" for i, p in problems[:10]])
    else:
        yield passed(STREAM_CHUNKS)


@check(STREAM_DONE)
def stream_done(ex: Exchange) -> Iterable[Finding]:
    if not_a_stream(ex):
        yield from not_judged(ex, (STREAM_DONE,))
        return
    events = ex.data_events()
    done = [e.index for e in events if e.is_done]
    if not done:
        yield failed(STREAM_DONE, f"the stream ended after {len(events)} data events without data: [DONE]",
                     last_event=events[-1].data[:200] if events else None)
        return
    after = [e for e in ex.events or [] if e.index > done[0] and e.data is not None]
    yield expect(STREAM_DONE, not after, f"{len(after)} data event(s) after [DONE], the first: "
                                         f"{after[0].data[:160] if after else ''}", done_event=done[0])


@check(STREAM_FINISH)
def stream_finish_reasons(ex: Exchange) -> Iterable[Finding]:
    """Per choice index: one non-null finish_reason, on the last chunk that carries text for that index."""
    if not_a_stream(ex):
        yield from not_judged(ex, (STREAM_FINISH,))
        return
    finishes: dict[Any, list[int]] = {}
    text_after: dict[Any, int] = {}
    for event, chunk in ex.chunks_json():
        for choice in choice_list(chunk):
            if not isinstance(choice, dict):
                continue
            index = choice.get("index")
            if finishes.get(index) and choice.get("text"):
                text_after.setdefault(index, event.index)
            if choice.get("finish_reason") is not None:
                finishes.setdefault(index, []).append(event.index)
    seen = {c.get("index") for _, chunk in ex.chunks_json() for c in choice_list(chunk) if isinstance(c, dict)}
    problems = [f"choice {short(i, 20)} has no finish_reason in any chunk" for i in seen if i not in finishes]
    problems += [f"choice {short(i, 20)} has {len(events)} finish_reasons (events {events})"
                 for i, events in finishes.items() if len(events) > 1]
    problems += [f"choice {short(i, 20)} streams text in event {event} after its finish_reason"
                 for i, event in text_after.items()]
    if not seen:
        problems.append("no chunk carries a choice")
    yield expect(STREAM_FINISH, not problems, "; ".join(problems), finish_events={short(k, 20): v
                                                                                  for k, v in finishes.items()})


# -- identity, required keys, and the families shared with chat streams -----------------------------------------
def stream_items(ex: Exchange) -> list[tuple[int, dict]]:
    """(event index, chunk) of every JSON object chunk of a 200 stream that is not an error object."""
    if not_a_stream(ex):
        return []
    return [(event.index, chunk) for event, chunk in ex.chunks_json()
            if isinstance(chunk, dict) and not ("error" in chunk and "choices" not in chunk)]


def identity(ex: Exchange) -> list[Finding]:
    """The id prefix and creation time of a completion, or of a stream's first chunk (completions.stream.identity
    holds the others to the same values)."""
    body = completion_body(ex)
    items = stream_items(ex)
    if body is None and items:
        event, body = items[0]
        where = f"event #{event}: "
    else:
        where = ""
    if body is None:
        return []
    return (id_prefix("completions.response.id-prefix", body.get("id"), f"{where}id")
            + created_recent(ex, "completions.response.created-recent", body.get("created"), f"{where}created"))


@check(REQUIRED_KEYS)
def required_keys(ex: Exchange) -> Iterable[Finding]:
    """Every choice of a non-streamed completion carries logprobs and finish_reason, null or not."""
    body = completion_body(ex)
    if body is None or not choice_list(body):
        return
    missing = [f"choices[{i}] has no {key} key" + (" (expected null when not asked)" if key == "logprobs" else "")
               for i, choice in enumerate(choice_list(body)) if isinstance(choice, dict)
               for key in ("logprobs", "finish_reason") if key not in choice]
    yield expect(REQUIRED_KEYS, not missing, "; ".join(missing[:3]) + (f" (and {len(missing) - 3} more)"
                                                                      if len(missing) > 3 else ""))


@check(STREAM_IDENTITY)
def stream_identity(ex: Exchange) -> Iterable[Finding]:
    items = stream_items(ex)
    if not items:
        return  # judged by completions.stream.chunks
    problems = identity_problems(items)
    yield expect(STREAM_IDENTITY, not problems, "; ".join(problems[:3]), problems=problems[:10])


@check("completions.stream.incremental")
def streams_incrementally(ex: Exchange) -> Iterable[Finding]:
    pieces = [c["text"] for _, chunk in stream_items(ex) for c in choice_list(chunk)
              if isinstance(c, dict) and c.get("index", 0) == 0 and isinstance(c.get("text"), str) and c["text"]]
    if stream_items(ex):
        yield from incremental("completions.stream.incremental", pieces, "completion")


@check("completions.stream.usage-unrequested")
def stream_usage_unrequested(ex: Exchange) -> Iterable[Finding]:
    items = stream_items(ex)
    if items:
        yield from judge_usage_unrequested("completions.stream.usage-unrequested", items)


@check("completions.stream.usage-final")
def stream_usage_final(ex: Exchange) -> Iterable[Finding]:
    """stream_options.include_usage was true: the chat rules, on the legacy stream."""
    req = "completions.stream.usage-final"
    problem = not_a_stream(ex)
    if problem:
        yield from (no_response(ex, (req,)) or [failed(req, problem, status=ex.status, body=short(ex.body, 300))])
        return
    yield from judge_usage_final(req, stream_items(ex))
