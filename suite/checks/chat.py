"""Checks of non-streamed chat completions: the object's shape, usage, accepted inputs, sampling controls
(n, max_tokens, stop, logprobs) and structured output. The token, usage and finish_reason rules are shared
with the stream checks (chat_stream.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator

from .. import wirejson
from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped, unsupported
from ..profile import document
from . import check
from .common import created_recent, honest_unsupported, id_prefix, is_int, json_pointer, no_response


def object_name(schema: str) -> str:
    """The constant "object" of a response schema in the profile, the one source of truth for shapes."""
    return document()["components"]["schemas"][schema]["properties"]["object"]["const"]


COMPLETION_OBJECT = object_name("CreateChatCompletionResponse")
CHUNK_OBJECT = object_name("CreateChatCompletionStreamResponse")
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "function_call")
LOGPROB_TOLERANCE = 1e-6  # a log probability is never above 0; allow float noise only


# -- helpers shared with the stream checks ---------------------------------------------------------------
def rejection(requirement: str, ex: Exchange, what: str) -> Finding | None:
    """None when the target answered 200 with a JSON object; otherwise the finding that says why not."""
    if ex.status is None:
        return no_response(ex, (requirement,))[0]
    if honest_unsupported(ex):
        message = _error_message(ex)
        return unsupported(requirement, f"{what}: the target answered HTTP {ex.status} in OpenAI's error "
                                        f"shape: {message!r}", status=ex.status)
    if ex.status != 200 or not isinstance(ex.json(), dict):
        return failed(requirement, f"{what}: expected HTTP 200 with a chat.completion, got {ex.describe()}",
                      status=ex.status, body=short(ex.body, 300))
    return None


def _error_message(ex: Exchange) -> Any:
    body = ex.json()
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("message") if isinstance(error, dict) else None


def success_body(ex: Exchange) -> dict | None:
    """The body of a 200 answer when it is a JSON object (the request's own check judges other answers)."""
    body = ex.json() if ex.status == 200 else None
    return body if isinstance(body, dict) else None


def choices_of(body: dict) -> list[tuple[int, dict]]:
    """(position, choice) for every choice that is an object."""
    choices = body.get("choices")
    if not isinstance(choices, list):
        return []
    return [(pos, c) for pos, c in enumerate(choices) if isinstance(c, dict)]


def message_of(choice: dict) -> dict:
    message = choice.get("message")
    return message if isinstance(message, dict) else {}


def content_text(choice: dict) -> str:
    content = message_of(choice).get("content")
    return content if isinstance(content, str) else ""


def usage_problems(usage: Any) -> tuple[list[str], str | None]:
    """(problems with the usage object's presence and types, the total mismatch if any)."""
    if not isinstance(usage, dict):
        return [f"usage is {short(usage, 80) if usage is not None else 'missing'}, expected an object"], None
    problems = []
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(key)
        if not is_int(value) or value < 0:
            problems.append(f"usage.{key} is {described(usage, key)}, expected a non-negative integer")
    if problems:
        return problems, None
    prompt, completion, total = usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]
    if total != prompt + completion:
        return [], (f"usage.total_tokens is {total}, but prompt_tokens {prompt} + completion_tokens "
                    f"{completion} = {prompt + completion}")
    return [], None


def token_problems(entry: Any, pointer: str) -> list[str]:
    """What is wrong with one logprobs.content entry or top_logprobs alternative: token, logprob, bytes."""
    if not isinstance(entry, dict):
        return [f"{pointer} is {short(entry, 80)}, expected an object"]
    problems = []
    if not isinstance(entry.get("token"), str):
        problems.append(f"{pointer}/token is {described(entry, 'token')}, expected a string")
    logprob = entry.get("logprob")
    if not isinstance(logprob, (int, float)) or isinstance(logprob, bool):
        problems.append(f"{pointer}/logprob is {described(entry, 'logprob')}, expected a number")
    elif logprob > LOGPROB_TOLERANCE:
        problems.append(f"{pointer}/logprob is {logprob}, but a log probability is never above 0")
    if "bytes" not in entry:
        problems.append(f"{pointer}/bytes is missing (expected the token's UTF-8 bytes as integers, or null)")
    elif entry["bytes"] is not None and not (isinstance(entry["bytes"], list) and all(
            is_int(b) and 0 <= b <= 255 for b in entry["bytes"])):
        problems.append(f"{pointer}/bytes is {short(entry['bytes'], 80)}, expected a list of integers 0-255")
    return problems


def top_k_problems(entry: Any, k: int, pointer: str) -> list[str]:
    """What is wrong with the top_logprobs of one token, asked for with top_logprobs k."""
    if not isinstance(entry, dict):
        return []  # reported by token_problems
    top = entry.get("top_logprobs")
    if not isinstance(top, list):
        return [f"{pointer}/top_logprobs is {described(entry, 'top_logprobs')}, expected a list of {k} "
                f"alternatives"]
    problems = []
    if len(top) != k:
        problems.append(f"{pointer}/top_logprobs has {len(top)} alternatives, expected top_logprobs = {k}")
    for i, alternative in enumerate(top):
        problems += token_problems(alternative, f"{pointer}/top_logprobs/{i}")
    return problems


def described(container: dict, key: str, limit: int = 60) -> str:
    """The value under ``key`` as a message shows it, or "missing" when the key is absent."""
    return short(container.get(key), limit) if key in container else "missing"


def report(requirement: str, problems: list[str], prefix: str = "", **evidence: Any) -> Finding:
    """Pass, or fail naming the first problem and how many more there are."""
    if not problems:
        return passed(requirement)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return failed(requirement, prefix + problems[0] + more, problems=problems[:10], **evidence)


# -- the completion object -----------------------------------------------------------------------------------
@check("chat.response.object", "chat.response.identity", "chat.response.choices", "chat.response.role",
       "chat.response.content", "chat.response.finish-reason")
def completion_shape(ex: Exchange, n: int = 1) -> Iterable[Finding]:
    """The shape of a 200 answer to a request for ``n`` choices; other answers are judged by the check of the
    request that got them."""
    body = success_body(ex)
    if body is None:
        return
    yield expect("chat.response.object", body.get("object") == COMPLETION_OBJECT,
                 f'object is {described(body, "object")}, expected "{COMPLETION_OBJECT}"', pointer="/object")
    yield report("chat.response.identity", identity_problems(body))
    yield report("chat.response.choices", index_problems(body.get("choices"), n), pointer="/choices")
    roles, contents, reasons = [], [], []
    for pos, choice in choices_of(body):
        message = choice.get("message")
        where = json_pointer("choices", pos, "message")
        if not isinstance(message, dict):
            roles.append(f"{where} is {described(choice, 'message')}, expected an object")
            continue
        if message.get("role") != "assistant":
            roles.append(f'{where}/role is {described(message, "role")}, expected "assistant"')
        contents += content_problems(message, where)
        reason = choice.get("finish_reason")
        if reason not in FINISH_REASONS:
            reasons.append(f"{json_pointer('choices', pos, 'finish_reason')} is "
                           f"{described(choice, 'finish_reason')}, expected one of "
                           f"{', '.join(FINISH_REASONS)}")
    if choices_of(body):
        yield report("chat.response.role", roles)
        yield report("chat.response.content", contents)
        yield report("chat.response.finish-reason", reasons)


@check("chat.response.required-keys")
def required_keys(ex: Exchange) -> Iterable[Finding]:
    """The keys OpenAI's document requires although their value is usually null: choices[].logprobs and
    message.refusal (the profile's schema leaves them optional, so chat.response.schema does not judge them)."""
    body = success_body(ex)
    if body is None or not choices_of(body):
        return
    missing = []
    for pos, choice in choices_of(body):
        if "logprobs" not in choice:
            missing.append(f"{json_pointer('choices', pos)} has no logprobs key (expected null when not asked)")
        message = choice.get("message")
        if isinstance(message, dict) and "refusal" not in message:
            missing.append(f"{json_pointer('choices', pos, 'message')} has no refusal key (expected null when "
                           f"there is none)")
    yield report("chat.response.required-keys", missing)


def identity(ex: Exchange) -> list[Finding]:
    """The id prefix and the creation time of a 200 chat completion, and the keys OpenAI always sends."""
    body = success_body(ex)
    if body is None:
        return []
    return (id_prefix("chat.response.id-prefix", body.get("id"))
            + created_recent(ex, "chat.response.created-recent", body.get("created"))
            + required_keys(ex))


def identity_problems(body: dict) -> list[str]:
    problems = []
    for key in ("id", "model"):
        if not isinstance(body.get(key), str) or not body.get(key):
            problems.append(f"{key} is {described(body, key)}, expected a non-empty string")
    created = body.get("created")
    if not is_int(created):
        problems.append(f"created is {described(body, 'created')}, expected an integer (Unix seconds)")
    elif created < 0 or created > 10**11:
        problems.append(f"created is {created}, which is not a Unix time in seconds"
                        + (" (milliseconds?)" if created > 10**11 else ""))
    return problems


def index_problems(choices: Any, n: int) -> list[str]:
    """Choices are indexed 0..len-1, each once. How many there are is judged here only for n=1, since a wrong
    count for n > 1 is chat.params.n's finding."""
    if not isinstance(choices, list) or not choices:
        got = short(choices, 80) if choices is not None else "missing"
        return [f"choices is {got}, expected a list of {n}"]
    problems = []
    indexes = []
    for pos, choice in enumerate(choices):
        if not isinstance(choice, dict):
            problems.append(f"/choices/{pos} is {short(choice, 60)}, expected an object")
        elif not is_int(choice.get("index")):
            problems.append(f"/choices/{pos}/index is {described(choice, 'index')}, expected an integer")
        else:
            indexes.append(choice["index"])
    if n == 1 and len(choices) != 1:
        problems.append(f"{len(choices)} choices for a request of one, expected 1")
    if not problems and sorted(indexes) != list(range(len(choices))):
        problems.append(f"indexes are {indexes}, expected each of 0..{len(choices) - 1} once")
    return problems


def content_problems(message: dict, where: str) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return []
    if content is None:
        if message.get("tool_calls") or isinstance(message.get("refusal"), str):
            return []
        got = "null" if "content" in message else "missing"
        return [f"{where}/content is {got} with neither tool_calls nor a refusal, expected the reply text"]
    return [f"{where}/content is {type(content).__name__} {short(content, 80)}, expected a string"]


@check("chat.usage.present", "chat.usage.total")
def completion_usage(ex: Exchange) -> Iterable[Finding]:
    body = success_body(ex)
    if body is None:
        return
    problems, mismatch = usage_problems(body.get("usage"))
    yield report("chat.usage.present", problems, pointer="/usage", received=short(body.get("usage"), 200))
    if problems:
        yield skipped("chat.usage.total", "not judged: no usable usage object")
    else:
        yield expect("chat.usage.total", mismatch is None, mismatch or "", pointer="/usage/total_tokens")


# -- accepted inputs -----------------------------------------------------------------------------------------
def _accepted(requirement: str, ex: Exchange, what: str) -> Finding:
    return rejection(requirement, ex, what) or passed(requirement)


@check("chat.request.roles")
def roles_accepted(ex: Exchange) -> Iterable[Finding]:
    yield _accepted("chat.request.roles", ex, "a multi-turn history of system, user and assistant messages")


@check("chat.request.content-parts")
def content_parts_accepted(ex: Exchange) -> Iterable[Finding]:
    yield _accepted("chat.request.content-parts", ex, "user content as an array of text parts")


@check("chat.request.developer-role")
def developer_role_accepted(ex: Exchange) -> Iterable[Finding]:
    yield _accepted("chat.request.developer-role", ex, "a message with role developer")


@check("chat.request.seed-user")
def seed_user_accepted(ex: Exchange) -> Iterable[Finding]:
    yield _accepted("chat.request.seed-user", ex, "a request with seed and user")


@check("chat.request.metadata")
def metadata_accepted(ex: Exchange) -> Iterable[Finding]:
    yield _accepted("chat.request.metadata", ex, "a request with metadata")


# -- sampling controls ---------------------------------------------------------------------------------------
@check("chat.params.n")
def n_choices(ex: Exchange, n: int) -> Iterable[Finding]:
    req = "chat.params.n"
    refused = rejection(req, ex, f"n={n}")
    if refused:
        yield refused
        return
    choices = ex.json().get("choices")
    count = len(choices) if isinstance(choices, list) else 0
    yield expect(req, count == n, f"n={n} gave {count} choice(s), expected {n}", pointer="/choices",
                 received=short(choices, 300))


@check("chat.params.max-tokens")
def max_tokens_cap(ex: Exchange, limit: int) -> Iterable[Finding]:
    yield from _token_cap("chat.params.max-tokens", ex, limit, "max_tokens")


@check("chat.params.max-completion-tokens")
def max_completion_tokens_cap(ex: Exchange, limit: int) -> Iterable[Finding]:
    yield from _token_cap("chat.params.max-completion-tokens", ex, limit, "max_completion_tokens")


def _token_cap(req: str, ex: Exchange, limit: int, param: str) -> Iterable[Finding]:
    """The request asks for far more text than ``limit`` tokens, on one choice."""
    refused = rejection(req, ex, f"{param}={limit}")
    if refused:
        yield refused
        return
    body = ex.json()
    usage = body.get("usage")
    spent = usage.get("completion_tokens") if isinstance(usage, dict) else None
    spent = spent if is_int(spent) else None
    problems = []
    if spent is not None and spent > limit:
        problems.append(f"usage.completion_tokens is {spent}, above {param} {limit}")
    for pos, choice in choices_of(body):
        reason = choice.get("finish_reason")
        words = len(content_text(choice).split())
        # Every whitespace-separated word costs at least one token; twice the cap allows for odd tokenizers.
        if words > 2 * limit:
            problems.append(f"choice {pos} has {words} words of content, more than {param} {limit} tokens "
                            f"can hold")
        elif reason != "length" and spent == limit:
            problems.append(f"choice {pos} used all {spent} tokens of {param} {limit} but finish_reason is "
                            f"{short(reason, 40)}, expected \"length\"")
    first = choices_of(body)[0][1] if choices_of(body) else {}
    yield report(req, problems, f"{param}={limit}: ", content=short(content_text(first), 200),
                 completion_tokens=spent)


def first_content(ex: Exchange) -> str | None:
    """The content of the first choice of a 200 chat completion ("" when it has none); None for other answers."""
    body = success_body(ex)
    choices = choices_of(body) if body else []
    return content_text(choices[0][1]) if choices else None


def stop_from_answer(unconstrained: Exchange) -> tuple[str | None, str]:
    """A stop sequence taken from the model's own answer to the request without ``stop``: the word nearest the
    middle that has text before its first occurrence. (None, why) when the answer has no such word, so the stop
    check is judged only where the stop sequence would really have been generated."""
    answer = first_content(unconstrained)
    if answer is None:
        return None, (f"not judged: the answer without stop (the source of the stop sequence) was "
                      f"{unconstrained.describe()}, not a chat completion")
    words = [w.strip(".,;:!?\"'()[]") for w in answer.split()]
    middle = len(words) // 2
    for i in sorted(range(len(words)), key=lambda i: (abs(i - middle), i)):
        word = words[i]
        at = answer.find(word) if word else -1
        if at > 0 and answer[:at].strip():
            return word, ""
    return None, (f"not judged: the answer without stop, {short(answer, 120)}, has no word with text before it "
                  f"to use as the stop sequence")


@check("chat.params.stop")
def stop_sequences(ex: Exchange, stop: str, unconstrained: Exchange) -> Iterable[Finding]:
    """``ex`` asked with ``stop`` for what ``unconstrained`` answered without it, where ``stop`` occurs (see
    stop_from_answer). The stop sequence must not appear, the answer must end where it would have begun, and
    finish_reason must be "stop". An answer that never reached the stop sequence shows nothing: skip."""
    req = "chat.params.stop"
    refused = rejection(req, ex, f"stop={[stop]}")
    if refused:
        yield refused
        return
    choices = choices_of(ex.json())
    if not choices:
        yield failed(req, f"stop={[stop]}: the answer has no choices", received=short(ex.json(), 200))
        return
    choice = choices[0][1]
    text, reason = content_text(choice), choice.get("finish_reason")
    if stop in text:
        yield failed(req, f"the stop sequence {stop!r} appears in the content at offset {text.index(stop)}: "
                          f"{short(text, 120)} (finish_reason {short(reason, 40)})", content=short(text, 300))
        return
    free = first_content(unconstrained) or ""
    before = free[:free.find(stop)] if stop in free else None
    if before is None or text.strip() != before.strip():
        yield skipped(req, f"not judged: with stop={[stop]} the answer {short(text, 100)} (finish_reason "
                           f"{short(reason, 40)}) never reached the stop sequence; without stop it was "
                           f"{short(free, 100)} (the model did not repeat its answer)")
        return
    yield expect(req, reason == "stop", f"the answer ended right before the stop sequence {stop!r}, but "
                                        f"finish_reason is {short(reason, 40)}, expected \"stop\"",
                 pass_message=f"ended before the stop sequence {stop!r} taken from the model's own answer",
                 pointer="/choices/0/finish_reason")


@check("chat.logprobs.tokens", "chat.logprobs.top-k")
def logprobs(ex: Exchange, k: int) -> Iterable[Finding]:
    refusals = [rejection(req, ex, f"logprobs true, top_logprobs {k}")
                for req in ("chat.logprobs.tokens", "chat.logprobs.top-k")]
    if refusals[0]:
        yield from refusals
        return
    tokens, top = [], []
    for pos, choice in choices_of(ex.json()):
        where = json_pointer("choices", pos, "logprobs")
        value = choice.get("logprobs")
        entries = value.get("content") if isinstance(value, dict) else None
        if not isinstance(entries, list) or (not entries and content_text(choice)):
            tokens.append(f"{where} is {described(choice, 'logprobs', 100)}, expected "
                          f'{{"content": [one entry per token]}} (logprobs were requested)')
            continue
        for i, entry in enumerate(entries):
            tokens += token_problems(entry, f"{where}/content/{i}")
            top += top_k_problems(entry, k, f"{where}/content/{i}")
    yield report("chat.logprobs.tokens", tokens)
    if tokens and not top:
        yield skipped("chat.logprobs.top-k", "not judged: no usable logprobs.content")
    else:
        yield report("chat.logprobs.top-k", top)


# -- structured output ---------------------------------------------------------------------------------------
@check("chat.output.json-object")
def json_object_output(ex: Exchange) -> Iterable[Finding]:
    yield from _json_output("chat.output.json-object", ex, 'response_format {"type": "json_object"}', None)


@check("chat.output.json-schema")
def json_schema_output(ex: Exchange, schema: dict) -> Iterable[Finding]:
    yield from _json_output("chat.output.json-schema", ex, "response_format json_schema (strict)", schema)


def _json_output(req: str, ex: Exchange, what: str, schema: dict | None) -> Iterable[Finding]:
    refused = rejection(req, ex, what)
    if refused:
        yield refused
        return
    choices = choices_of(ex.json())
    if not choices:
        yield failed(req, f"{what}: the answer has no choices", received=short(ex.json(), 200))
        return
    for pos, choice in choices:
        text = content_text(choice)
        try:
            value = wirejson.loads(text)
        except ValueError as exc:
            # An answer cut by the token limit may be an unfinished object; one that does not even begin
            # with "{" was never JSON.
            if choice.get("finish_reason") == "length" and text.lstrip().startswith("{"):
                yield skipped(req, f"not judged: choice {pos} was cut by the token limit before the JSON "
                                   f"ended")
            else:
                cut = " (cut by the token limit, but it does not begin an object)" \
                    if choice.get("finish_reason") == "length" else ""
                yield failed(req, f"{what}: choice {pos} content is not JSON{cut} ({exc}): "
                                  f"{short(text, 160)}",
                             pointer=json_pointer("choices", pos, "message", "content"))
            continue
        if schema is None:
            yield expect(req, isinstance(value, dict), f"{what}: choice {pos} content is JSON "
                                                       f"{type(value).__name__}, expected an object: "
                                                       f"{short(text, 160)}")
            continue
        errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
        violations = [f"{'/' + '/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]
        yield report(req, violations, f"{what}: choice {pos} content violates the schema at ",
                     content=short(text, 200))
