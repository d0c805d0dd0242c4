"""Checks of POST /moderations: the moderation object, one result per input, every category flagged, scored and
typed, flagged consistent with the categories, model optional, bad input refused."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, short, skipped
from . import check
from .common import no_response, rejected_ideally_400

SHAPE = "moderations.response.shape"
ID_PREFIX = "moderations.response.id-prefix"
ONE_PER_INPUT = "moderations.results.one-per-input"
CATEGORIES = "moderations.categories.complete"
SCORES = "moderations.scores.complete"
SCORE_RANGE = "moderations.scores.range"
APPLIED = "moderations.applied-types.complete"
TEXT_ONLY = "moderations.applied-types.text-only"
FLAGGED = "moderations.flagged.consistent"
MODEL_OPTIONAL = "moderations.model.optional"
MISSING_REJECTED = "moderations.input.missing-rejected"
INVALID_REJECTED = "moderations.input.invalid-rejected"
STATUS_400 = "moderations.input.status-400"

# The categories OpenAI documents; a server may add more, it may not leave one out.
DOCUMENTED = ("hate", "hate/threatening", "harassment", "harassment/threatening", "illicit", "illicit/violent",
              "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
              "violence/graphic")
MAY_BE_NULL = {"illicit", "illicit/violent"}  # null from the older text-moderation models
INPUT_TYPES = {"text", "image"}
BODY_CHECKS = (SHAPE, ID_PREFIX, ONE_PER_INPUT, CATEGORIES, SCORES, SCORE_RANGE, APPLIED, TEXT_ONLY, FLAGGED)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def sent_inputs(ex: Exchange) -> list[Any] | None:
    """The inputs of the request, one per expected result: a string is one; an array of strings is one per item;
    an array of multi-modal parts is one input. None when the request's input is none of these."""
    value = ex.request_json.get("input") if isinstance(ex.request_json, dict) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        return value if all(isinstance(v, str) for v in value) else [value]
    return None


def moderation_body(ex: Exchange) -> dict | None:
    body = ex.json() if ex.status == 200 and not ex.is_stream else None
    return body if isinstance(body, dict) else None


def results_of(body: dict | None) -> list[dict]:
    results = body.get("results") if body else None
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def shape_problems(body: dict) -> list[str]:
    problems = [f"{key} is {short(body.get(key), 60) if key in body else 'missing'}, expected a string"
                for key in ("id", "model") if not isinstance(body.get(key), str)]
    results = body.get("results")
    if not isinstance(results, list):
        return problems + [f"results is {short(results, 80) if 'results' in body else 'missing'}, expected an array "
                           f"of result objects"]
    for i, result in enumerate(results):
        if not isinstance(result, dict):
            problems.append(f"results[{i}] is {short(result, 60)}, expected an object")
            continue
        if not isinstance(result.get("flagged"), bool):
            problems.append(f"results[{i}].flagged is {short(result.get('flagged'), 40)}, expected a boolean")
        for key in ("categories", "category_scores", "category_applied_input_types"):
            if not isinstance(result.get(key), dict):
                problems.append(f"results[{i}].{key} is {short(result.get(key), 60) if key in result else 'missing'}, "
                                f"expected an object")
    return problems


@check(*BODY_CHECKS)
def moderation_answer(ex: Exchange) -> Iterable[Finding]:
    """A successful moderation: the object, its results, and every result's categories, scores and input types."""
    if ex.status is None:
        yield from no_response(ex, BODY_CHECKS)
        return
    body = moderation_body(ex)
    if body is None:
        yield failed(SHAPE, f"POST /moderations answered {ex.describe()}, expected 200 with a moderation object",
                     status=ex.status, body=short(ex.body, 300))
        yield from (skipped(r, "not judged: no moderation object came back") for r in BODY_CHECKS[1:])
        return
    problems = shape_problems(body)
    yield expect(SHAPE, not problems, "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                                                  if len(problems) > 5 else ""),
                 problems=problems[:10])
    ident = body.get("id")
    yield expect(ID_PREFIX, isinstance(ident, str) and ident.startswith("modr-"),
                 f"id is {short(ident, 60)}, expected a string starting with \"modr-\"", pointer="/id")
    yield from one_per_input(body, sent_inputs(ex))
    results = results_of(body)
    if not results:
        yield from (skipped(r, "not judged: the answer holds no result object") for r in BODY_CHECKS[3:])
        return
    yield from categories_complete(results)
    yield from scores(results)
    yield from applied_types(results, ex)
    yield from flagged_consistent(results)


def one_per_input(body: dict, inputs: list | None) -> Iterable[Finding]:
    if inputs is None:
        yield skipped(ONE_PER_INPUT, "not judged: the request's input is not a string or a non-empty array")
        return
    results = body.get("results")
    count = len(results) if isinstance(results, list) else 0
    yield expect(ONE_PER_INPUT, count == len(inputs),
                 f"sent {len(inputs)} input{'s' if len(inputs) != 1 else ''}, received {count} results",
                 pointer="/results", inputs=len(inputs), results=count)


def _missing(result: dict, key: str) -> list[str]:
    table = result.get(key)
    return [c for c in DOCUMENTED if not isinstance(table, dict) or c not in table]


def categories_complete(results: list[dict]) -> Iterable[Finding]:
    problems = []
    for i, result in enumerate(results):
        missing = _missing(result, "categories")
        if missing:
            problems.append(f"results[{i}].categories lacks {', '.join(missing)}")
        table = result.get("categories") if isinstance(result.get("categories"), dict) else {}
        for name in DOCUMENTED:
            value = table.get(name)
            if name in table and not isinstance(value, bool) and not (value is None and name in MAY_BE_NULL):
                problems.append(f"results[{i}].categories[{name!r}] is {short(value, 40)}, expected a boolean")
    yield expect(CATEGORIES, not problems, "; ".join(problems[:4]), problems=problems[:10])


def scores(results: list[dict]) -> Iterable[Finding]:
    problems, out_of_range, judged = [], [], 0
    for i, result in enumerate(results):
        missing = _missing(result, "category_scores")
        if missing:
            problems.append(f"results[{i}].category_scores lacks {', '.join(missing)}")
        table = result.get("category_scores") if isinstance(result.get("category_scores"), dict) else {}
        for name, value in table.items():
            if not is_number(value):
                if name in DOCUMENTED:
                    problems.append(f"results[{i}].category_scores[{name!r}] is {short(value, 40)}, expected a "
                                    f"number")
                continue
            judged += 1
            if not (math.isfinite(value) and 0 <= value <= 1):
                out_of_range.append((f"results[{i}].category_scores[{name!r}] is {value}", value))
    yield expect(SCORES, not problems, "; ".join(problems[:4]), problems=problems[:10])
    if not judged:
        yield skipped(SCORE_RANGE, "not judged: no score is a number (see moderations.scores.complete)")
        return
    percentages = out_of_range and all(1 < value <= 100 for _, value in out_of_range)
    yield expect(SCORE_RANGE, not out_of_range, "; ".join(where for where, _ in out_of_range[:4])
                 + ": scores are probabilities in 0..1" + (" (percentages?)" if percentages else ""),
                 scores=[where for where, _ in out_of_range[:10]])


def applied_types(results: list[dict], ex: Exchange) -> Iterable[Finding]:
    problems, images = [], []
    for i, result in enumerate(results):
        missing = _missing(result, "category_applied_input_types")
        if missing:
            problems.append(f"results[{i}].category_applied_input_types lacks {', '.join(missing)}")
        table = result.get("category_applied_input_types")
        for name, value in (table.items() if isinstance(table, dict) else ()):
            if not isinstance(value, list) or not all(isinstance(v, str) and v in INPUT_TYPES for v in value):
                if name in DOCUMENTED:
                    problems.append(f"results[{i}].category_applied_input_types[{name!r}] is {short(value, 60)}, "
                                    f"expected an array of \"text\" and/or \"image\"")
            elif "image" in value:
                images.append(f"results[{i}].category_applied_input_types[{name!r}]")
    yield expect(APPLIED, not problems, "; ".join(problems[:4]), problems=problems[:10])
    value = ex.request_json.get("input") if isinstance(ex.request_json, dict) else None
    text_only = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if not text_only:
        yield skipped(TEXT_ONLY, "not judged: the request's input is not text only")
        return
    yield expect(TEXT_ONLY, not images, f"{', '.join(images[:3])} name \"image\" although the input was text only",
                 where=images[:10])


def flagged_consistent(results: list[dict]) -> Iterable[Finding]:
    problems, judged = [], 0
    for i, result in enumerate(results):
        flagged, table = result.get("flagged"), result.get("categories")
        if not isinstance(flagged, bool) or not isinstance(table, dict):
            continue
        judged += 1
        true = sorted(name for name, value in table.items() if value is True)
        if flagged and not true:
            problems.append(f"results[{i}].flagged is true but no category is true")
        elif not flagged and true:
            problems.append(f"results[{i}].flagged is false but {', '.join(true)} "
                            f"{'is' if len(true) == 1 else 'are'} true")
    if not judged:
        yield skipped(FLAGGED, "not judged: no result has a boolean flagged and a categories object")
        return
    yield expect(FLAGGED, not problems, "; ".join(problems[:4]), problems=problems[:10])


@check(MODEL_OPTIONAL)
def model_optional(ex: Exchange) -> Iterable[Finding]:
    """A request without model: answered 200 with a moderation object that names the model used."""
    if ex.status is None:
        yield from no_response(ex, (MODEL_OPTIONAL,))
        return
    body = moderation_body(ex)
    if body is None:
        yield failed(MODEL_OPTIONAL, f"a moderation request without model answered {ex.describe()}, expected 200: "
                                     f"model is optional (OpenAI defaults to omni-moderation-latest)",
                     status=ex.status, body=short(ex.body, 300))
        return
    model = body.get("model")
    yield expect(MODEL_OPTIONAL, isinstance(model, str) and bool(model),
                 f"the answer's model is {short(model, 60)}, expected the name of the default model used",
                 pointer="/model")


@check(MISSING_REJECTED, INVALID_REJECTED, STATUS_400)
def input_rejected(ex: Exchange, requirement: str) -> Iterable[Finding]:
    """A request with missing or invalid input (``requirement`` says which) is refused with a 4xx, ideally 400."""
    value = ex.request_json.get("input", "(missing)") if isinstance(ex.request_json, dict) else "(missing)"
    what = f"input {value if value == '(missing)' else short(value, 60)}"
    yield from rejected_ideally_400(ex, requirement, STATUS_400, what)
