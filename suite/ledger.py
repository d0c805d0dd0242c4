"""The budgets and the request rate of one run, shared by its worker processes (``oaic run --jobs N``).

pytest-xdist workers share nothing, but ``--max-requests``, ``--max-tokens-budget`` and ``--rps`` are limits of
the run, not of a worker. The shared ledger is a small file (requests sent, tokens used, start of the last request)
updated under an exclusive ``fcntl`` lock: the simplest cross-process counter that needs no server process, and
a few microseconds per request. A serial run counts the same way in memory (MemoryLedger): the Transport
asks a ledger either way.
"""

from __future__ import annotations

import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError

_LAYOUT = struct.Struct("<qqd")  # requests, tokens, monotonic start of the last request (0.0: none yet)


def _refusal(requests: int, tokens: int, max_requests: int, max_tokens: int, whose: str) -> str | None:
    """Why the budget refuses one more request, or None."""
    if requests >= max_requests:
        return f"request budget exhausted: {requests} of max-requests {max_requests}{whose}"
    if tokens >= max_tokens:
        return f"token budget exhausted: {tokens} of max-tokens-budget {max_tokens}{whose}"
    return None


def _next_start(now: float, last: float | None, rps: float) -> float:
    return now if last is None else max(now, last + 1.0 / rps)


class MemoryLedger:
    """The run's budgets and rate in one process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.requests = 0
        self.tokens = 0
        self.last_start: float | None = None

    def reserve_request(self, max_requests: int, max_tokens: int) -> str | None:
        refusal = _refusal(self.requests, self.tokens, max_requests, max_tokens, "")
        if refusal is None:
            self.requests += 1
        return refusal

    def count_request(self) -> None:
        self.requests += 1

    def add_tokens(self, tokens: int) -> None:
        self.tokens += tokens

    def claim_start(self, rps: float) -> float:
        now = self.clock()
        self.last_start = _next_start(now, self.last_start, rps)
        return self.last_start - now

    def totals(self) -> tuple[int, int]:
        return self.requests, self.tokens


class SharedLedger:
    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.clock = clock  # CLOCK_MONOTONIC is one clock for every process of the machine

    @classmethod
    def create(cls) -> SharedLedger:
        try:
            import fcntl  # noqa: F401  (POSIX only)
        except ImportError:
            raise UsageError("--jobs needs a POSIX system (Linux, macOS): run without it") from None
        handle, path = tempfile.mkstemp(prefix="oaic-ledger-")
        with os.fdopen(handle, "wb") as out:
            out.write(_LAYOUT.pack(0, 0, 0.0))
        return cls(path)

    def _update(self, change: Callable[[int, int, float], tuple[int, int, float]]) -> tuple[int, int, float]:
        """Apply ``change`` to the three numbers under the lock; return the numbers as they were before."""
        import fcntl

        with open(self.path, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            before = _LAYOUT.unpack(handle.read(_LAYOUT.size))
            after = change(*before)
            if after != before:
                handle.seek(0)
                handle.write(_LAYOUT.pack(*after))
            return before

    def reserve_request(self, max_requests: int, max_tokens: int) -> str | None:
        """Count one request about to be sent, or say why the run's budget refuses it (nothing counted)."""
        def change(requests: int, tokens: int, last: float) -> tuple[int, int, float]:
            if requests >= max_requests or tokens >= max_tokens:
                return requests, tokens, last
            return requests + 1, tokens, last

        requests, tokens, _ = self._update(change)
        return _refusal(requests, tokens, max_requests, max_tokens, " (all workers)")

    def count_request(self) -> None:
        """A replayed request: counted for the progress line, never refused (a replay has no budget)."""
        self._update(lambda requests, tokens, last: (requests + 1, tokens, last))

    def add_tokens(self, tokens: int) -> None:
        if tokens:
            self._update(lambda requests, used, last: (requests, used + tokens, last))

    def claim_start(self, rps: float) -> float:
        """Book the next start allowed by ``rps`` across all workers; return how long to wait for it."""
        now = self.clock()
        booked: list[float] = []

        def change(requests: int, tokens: int, last: float) -> tuple[int, int, float]:
            start = _next_start(now, None if last == 0.0 else last, rps)
            booked.append(start)
            return requests, tokens, start

        self._update(change)
        return max(0.0, booked[0] - now)

    def totals(self) -> tuple[int, int]:
        requests, tokens, _ = self._update(lambda *numbers: numbers)
        return requests, tokens

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
