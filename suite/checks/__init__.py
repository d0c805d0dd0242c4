"""Checks: pure functions over exchanges that return findings. No I/O, ever.

Every check is declared with ``@check(requirement_ids...)`` so the suite knows which requirements it can judge:
an exception inside a check becomes an ``error`` finding for exactly those requirements, and the self-tests prove
that every catalogued requirement has at least one check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from ..findings import Finding, errored

REGISTRY: dict[str, Callable[..., list[Finding]]] = {}


def check(*requirements: str) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., list[Finding]]]:
    def decorate(fn: Callable[..., Iterable[Finding]]) -> Callable[..., list[Finding]]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> list[Finding]:
            try:
                return [f for f in fn(*args, **kwargs) if f is not None]
            except Exception as exc:  # a check bug must not hide a verdict or crash the run
                return [errored(r, f"check {fn.__name__} raised {exc.__class__.__name__}: {exc}")
                        for r in requirements]

        run.requirements = tuple(requirements)  # type: ignore[attr-defined]
        REGISTRY[f"{fn.__module__}.{fn.__name__}"] = run
        return run

    return decorate


def all_check_modules() -> list[str]:
    """Import every check module so REGISTRY is complete."""
    import importlib
    import pkgutil

    names = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
            names.append(info.name)
    return names
