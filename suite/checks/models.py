"""Checks of GET /models and GET /models/{model}."""

from __future__ import annotations

from collections.abc import Iterable

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short
from . import check
from .common import error_body_problems, is_int, no_response


@check("models.list.status", "models.list.shape", "models.object.shape")
def model_list(ex: Exchange) -> Iterable[Finding]:
    reqs = ("models.list.status", "models.list.shape", "models.object.shape")
    if ex.status is None:
        yield from no_response(ex, reqs)
        return
    body = ex.json()
    ok = ex.status == 200 and body is not None
    yield expect("models.list.status", ok, f"GET /models answered {ex.describe()}", status=ex.status)
    if not ok:
        return
    if not isinstance(body, dict) or body.get("object") != "list" or not isinstance(body.get("data"), list):
        got = {k: short(body.get(k), 60) for k in ("object", "data")} if isinstance(body, dict) else short(body, 120)
        yield failed("models.list.shape", f'expected {{"object": "list", "data": [...]}}, got {got}',
                     pointer="/", received=short(body, 300))
        return
    yield passed("models.list.shape")
    yield from model_objects(body["data"], "/data")


def model_problems(model: object) -> list[str]:
    if not isinstance(model, dict):
        return [f"is {type(model).__name__}, not an object"]
    problems = []
    if not isinstance(model.get("id"), str) or not model.get("id"):
        problems.append(f"id is {short(model.get('id'), 60)}, expected a non-empty string")
    if model.get("object") != "model":
        problems.append(f"object is {short(model.get('object'), 60)}, expected \"model\"")
    created = model.get("created")
    if not is_int(created):
        problems.append(f"created is {short(created, 60)}, expected an integer (Unix seconds)")
    elif created > 10**11:
        problems.append(f"created is {created}, which looks like milliseconds, not Unix seconds")
    if not isinstance(model.get("owned_by"), str):
        problems.append(f"owned_by is {short(model.get('owned_by'), 60)}, expected a string")
    return problems


def model_objects(models: list, pointer: str) -> Iterable[Finding]:
    bad = [(i, p) for i, m in enumerate(models) for p in model_problems(m)]
    if bad:
        index, problem = bad[0]
        yield failed("models.object.shape", f"{pointer}/{index}: {problem}"
                     + (f" (and {len(bad) - 1} more problems)" if len(bad) > 1 else ""),
                     pointer=f"{pointer}/{index}", received=short(models[index], 300))
    else:
        yield passed("models.object.shape")


@check("models.list.contains-configured")
def list_contains(ex: Exchange, configured: list[str]) -> Iterable[Finding]:
    body = ex.json()
    if ex.status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return
    listed = {m.get("id") for m in body["data"] if isinstance(m, dict)}
    missing = [m for m in configured if m not in listed]
    yield expect("models.list.contains-configured", not missing,
                 f"configured model(s) {missing} are not in GET /models (listed: {short(sorted(map(str, listed)), 200)})",
                 missing=missing)


@check("models.retrieve.shape", "models.object.shape")
def model_retrieve(ex: Exchange, model_id: str) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, ("models.retrieve.shape",))
        return
    body = ex.json()
    if ex.status != 200 or body is None:
        yield failed("models.retrieve.shape", f"GET /models/{model_id} answered {ex.describe()}", status=ex.status)
        return
    if isinstance(body, dict) and body.get("object") == "list":
        yield failed("models.retrieve.shape", f"GET /models/{model_id} answered with the model list, "
                                              f"expected the model object", received=short(body, 200))
        return
    problems = model_problems(body)
    if problems:
        yield failed("models.object.shape", f"GET /models/{model_id}: {'; '.join(problems)}", received=short(body, 300))
    else:
        yield passed("models.object.shape")
    got = body.get("id") if isinstance(body, dict) else None
    yield expect("models.retrieve.shape", got == model_id,
                 f"GET /models/{model_id} returned id {short(got, 80)}, expected {model_id!r}", pointer="/id")


@check("models.retrieve.unknown-404")
def unknown_model(ex: Exchange) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, ("models.retrieve.unknown-404",))
        return
    if ex.status != 404:
        yield failed("models.retrieve.unknown-404", f"GET {ex.path} for a model that does not exist answered "
                                                    f"{ex.describe()}, expected 404", status=ex.status)
        return
    problems = error_body_problems(ex)
    yield expect("models.retrieve.unknown-404", not problems,
                 f"404 for an unknown model, but the body is not OpenAI's error shape: {'; '.join(problems)}",
                 body=short(ex.body, 300))
