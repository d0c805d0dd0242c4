"""A driver process: started once per run, asked one operation at a time over its stdin/stdout."""

from __future__ import annotations

import collections
import contextlib
import json
import queue
import subprocess
import threading
from typing import Any


class DriverError(Exception):
    """The driver died, answered nonsense, or did not answer in time."""


class DriverProcess:
    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.command = command
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self.next_id = 0

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1,
                                         env=self.env)
        except OSError as exc:
            raise DriverError(f"cannot start the client driver {' '.join(self.command)}: {exc}") from None
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_tail.append), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, put: Any) -> None:
        for line in stream:
            put(line)
        put(None)

    def call(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        """Send one request and wait at most ``deadline`` seconds for its answer."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self.next_id += 1
        request = {"id": self.next_id, **request}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise DriverError(f"the client driver stopped reading ({exc}){self._tail()}") from None
        while True:
            try:
                line = self.lines.get(timeout=deadline)
            except queue.Empty:
                self.close()  # a driver that hangs is restarted for the next request
                raise DriverError(f"the client driver did not answer {request['op']} within {deadline:g}s") from None
            if line is None:
                raise DriverError(f"the client driver exited (code {self.proc.wait()}){self._tail()}")
            try:
                answer = json.loads(line)
            except ValueError:
                self.stderr_tail.append(f"(stdout) {line}")  # a stray print: not an answer
                continue
            if isinstance(answer, dict) and answer.get("id") == request["id"]:
                return answer

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _tail(self) -> str:
        tail = "".join(self.stderr_tail).strip()
        return f": {tail[-600:]}" if tail else ""

    def close(self) -> None:
        """Stop the driver at once: it keeps no state worth a graceful exit."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin:
                    self.proc.stdin.close()
            self.proc.kill()
            self.proc.wait()
            self.proc = None
