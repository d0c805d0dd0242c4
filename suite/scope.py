"""Which test is sending requests: a scope opened around each test phase and handed to every observer.

The plugin opens a ``TestScope`` around the setup, call and teardown of each scenario test (a context manager,
reset on exit); the transport reads it once per request and tells the recorder, the player and the run's
observers ``(exchange, scope)``. A module-scoped fixture's requests belong to the setup (or teardown) of the test
that needed it, exactly as pytest runs it. Requests made outside any test have no scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class TestScope:
    __test__ = False  # not a pytest test class

    test: str  # the test's node id, as findings and cassettes name it
    area: str  # the scenario module's area word: chat, tools, ...
    phase: str = "call"  # setup | call | teardown


_SCOPE: ContextVar[TestScope | None] = ContextVar("oaic_test_scope", default=None)


def current_scope() -> TestScope | None:
    return _SCOPE.get()


@contextmanager
def test_scope(scope: TestScope) -> Iterator[TestScope]:
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


test_scope.__test__ = False  # type: ignore[attr-defined]
