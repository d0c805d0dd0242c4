"""One operation of the property phase: plan the requests, send them through the run's transport (so budgets,
recording and replay apply), and judge the answers."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..checks.property import judge_negative, judge_positive
from ..errors import BudgetExhausted, NotRecorded, UsageError
from ..exchange import Exchange
from ..findings import Finding
from ..profile import Document, profile
from ..target import Target
from ..transport import Transport
from .cases import POSITIVE, PlannedRequest, PropertyExample
from .generation import plan_requests
from .operations import PLANS

DEFAULT_EXAMPLES = 5
DEFAULT_SEED = 20240611


def settings_from(values: dict[str, Any]) -> tuple[int, int]:
    """(examples per operation, seed) from the run options, with their defaults."""
    examples = _integer(values.get("examples"), DEFAULT_EXAMPLES, "--examples", minimum=1)
    seed = _integer(values.get("seed"), DEFAULT_SEED, "--seed", minimum=0)
    return examples, seed


def check_options(values: dict[str, Any]) -> None:
    """Bad --examples, --seed or --spec are usage errors before anything is sent (the document is loaded and
    normalized once: the run reuses it)."""
    settings_from(values)
    if values.get("spec"):
        source_document(values["spec"])


def _integer(value: Any, default: int, flag: str, minimum: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{flag} must be an integer, got {value!r}") from None
    if number < minimum:
        raise UsageError(f"{flag} must be at least {minimum}, got {value!r}")
    return number


@lru_cache(maxsize=4)
def source_document(spec: str | None) -> Document:
    """The document requests are generated from and answers are judged by: the profile, or with --spec
    OpenAI's official document, normalized (see suite/official)."""
    if not spec:
        return profile()
    from ..official import load_official

    return load_official(spec)


def plan_key(operation_id: str, mode: str) -> str:
    """Where the requests of one operation and mode are kept among the plans (and in property-plans.json)."""
    return f"{operation_id} {mode}"


def planned(values: dict[str, Any], operation_id: str, mode: str,
            generate: Callable[[], list[PlannedRequest]]) -> list[PlannedRequest]:
    """The requests of one operation and mode. A recording keeps the requests it sent (``values["plans"]``, see
    recording/store.py), so a replay sends exactly those without generating them again: faster, and immune to a
    newer hypothesis or schemathesis generating other data from the same seed."""
    plans = values.get("plans")
    key = plan_key(operation_id, mode)
    if isinstance(plans, dict) and key in plans:
        return [PlannedRequest.from_json(item) for item in plans[key]]
    requests = generate()
    if isinstance(plans, dict):
        plans[key] = [request.to_json() for request in requests]
    return requests


def plan_all(values: dict[str, Any], target: Target) -> dict[str, Any]:
    """Plan every operation the target may be asked (into ``values["plans"]``, created if missing) and return the
    plans. A parallel run plans once, before its workers start, so no worker pays for generating them."""
    plans = values.setdefault("plans", {})
    examples, seed = settings_from(values)
    try:
        document = source_document(values.get("spec") or None)
    except Exception:  # noqa: BLE001  (a bad --spec is reported by the phase itself, per operation)
        return plans
    with warnings.catch_warnings():
        # Hypothesis warns about generating while pytest starts up: planning here is that, on purpose.
        warnings.simplefilter("ignore")
        _plan_each(values, target, document, examples, seed)
    return plans


def _plan_each(values: dict[str, Any], target: Target, document: Document, examples: int, seed: int) -> None:
    from .cases import NEGATIVE, NotApplicable

    for operation_id, plan in PLANS.items():
        if not (target.claims(plan.capability) or plan.capability in target.attempted):
            continue
        for mode in (POSITIVE, NEGATIVE) if plan.negative else (POSITIVE,):
            try:
                operation = document.operation(operation_id)
                planned(values, operation_id, mode,
                        lambda: plan_requests(plan, operation, target, mode, examples, seed))  # noqa: B023
            except (KeyError, NotApplicable, ImportError):
                continue  # the phase meets the same and says so (a skip) when it runs the operation


def send(api: Transport, request: PlannedRequest) -> Exchange:
    if request.raw_body is not None:
        return api.request(request.method, request.path, params=request.query or None, content=request.raw_body)
    return api.request(request.method, request.path, json=request.body, params=request.query or None)


def run_operation(api: Transport, target: Target, values: dict[str, Any], operation_id: str,
                  mode: str) -> tuple[list[Finding], BaseException | None]:
    """The findings for one operation in one mode, and what stopped the run early (budget, missing recording)."""
    examples, seed = settings_from(values)
    document = source_document(values.get("spec") or None)
    operation = document.operation(operation_id)
    requests = planned(values, operation_id, mode,
                       lambda: plan_requests(PLANS[operation_id], operation, target, mode, examples, seed))
    answered: list[PropertyExample] = []
    stopped: BaseException | None = None
    for request in requests:
        try:
            answered.append(PropertyExample(request, send(api, request)))
        except (BudgetExhausted, NotRecorded) as exc:
            stopped = exc
            break
    judge = judge_positive if mode == POSITIVE else judge_negative
    return (judge(answered, operation) if answered else []), stopped
