"""A capturing proxy: a small HTTP server on 127.0.0.1 that sends every request it receives through a
``Transport`` and answers with what came back.

A client library under test is pointed at the proxy, so its requests reach the target (or a recording) through
the suite's own transport: the wire is captured, recorded, replayed and judged exactly as in a raw run, and
budgets apply. Each exchange is kept with the times it started and ended, for the checks that judge the client's
timing (retries after Retry-After).

The answer re-emits the exchange: status, headers without the hop-by-hop ones, the body chunk by chunk (at
recorded pace, or at once). What the server did wrong is passed on as faithfully as HTTP allows: a stream that
stalled stays open without another byte, one the server cut off is cut off, a response that never came is held
open until the client gives up.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ..errors import BudgetExhausted, NotRecorded
from ..exchange import Exchange
from ..scope import TestScope, test_scope

# Never passed on: they describe one connection (or a body the transport has already decoded), not the message.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "content-encoding", "host", "accept-encoding",
              "authorization"}
HOLD_SECONDS = 30.0  # the longest a stalled answer is held open waiting for the client to give up


@dataclass
class Captured:
    exchange: Exchange
    started: float  # time.monotonic() when the proxy received the request
    finished: float  # when the transport had the whole response


class CapturingProxy:
    """Serve on a free port of 127.0.0.1 in a background thread; ``base_url`` ends in ``/v1``."""

    def __init__(self, transport: Any, pace: bool = False, retry: bool = False, host: str = "127.0.0.1",
                 port: int = 0, hold: float = HOLD_SECONDS, keep: bool = True) -> None:
        self.transport = transport
        self.pace = pace
        self.retry = retry  # False: the client sees every 429/503 and does its own retrying
        self.hold = hold
        self.keep = keep  # False when serving for long: nobody reads what was captured
        self.captured: list[Captured] = []
        self.failure: BaseException | None = None  # a budget or replay refusal, raised again by the caller
        # The test the client is sending for: requests arrive on the proxy's own thread, which opens this scope,
        # so recordings and findings belong to that test (see scope.py).
        self.scope: TestScope | None = None
        self._lock = threading.Lock()  # the transport serves one request at a time
        self._idle = threading.Condition()
        self._in_flight = 0  # requests received and not yet answered by the transport
        self.host, self.port = host, port
        self.server: Any = None
        self.thread: threading.Thread | None = None
        self.sock: Any = None

    # -- lifecycle ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.sock.getsockname()[1]}/v1"

    def bind(self) -> CapturingProxy:
        import uvicorn

        from ..reference.server import _bind, _uvicorn_options

        self.sock = _bind(self.host, self.port)
        config = uvicorn.Config(self.app, interface="asgi3", log_level="critical", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1, **_uvicorn_options(),
                                date_header=False, server_header=False)  # the relayed answer's own headers
        self.server = uvicorn.Server(config)
        return self

    def serve_forever(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> CapturingProxy:
        """Bind a free port and serve in a background thread."""
        self.bind()
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="oaic-client-proxy")
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the capturing proxy did not start")
            time.sleep(0.005)
        return self

    def stop(self, wait: bool = True) -> None:
        """Ask the server to exit; ``wait=False`` leaves the (daemon) thread to finish on its own."""
        if self.server is not None:
            self.server.should_exit = True
            if self.thread is not None and wait:
                self.thread.join(timeout=5)
                self.sock.close()
            self.server = None

    def take(self, settle: float = 0.0) -> list[Captured]:
        """The exchanges captured since the last call, oldest first; first waits up to ``settle`` seconds for the
        requests still in flight (a client that gave up early leaves its request to the transport's deadlines)."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=settle)
        with self._lock:
            out, self.captured = self.captured, []
        return out

    # -- one request ----------------------------------------------------------------------------------
    def forward(self, method: str, raw_path: str, query: str, body: bytes, headers: dict[str, str],
                progress: Any = None) -> Exchange:
        path = raw_path[3:] if raw_path == "/v1" or raw_path.startswith("/v1/") else raw_path
        path = (path or "/") + (f"?{query}" if query else "")
        data: Any = None
        content: bytes | None = None
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                content = body
        send = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        started = time.monotonic()
        with self._lock, test_scope(self.scope) if self.scope is not None else nullcontext():
            previous = self.transport.on_progress  # a progress display may watch the transport too
            self.transport.on_progress = _both(previous, progress)
            try:
                exchange = self.transport.request(method, path, json=data, content=content, headers=send,
                                                  retry=self.retry)
            except (NotRecorded, BudgetExhausted) as exc:
                self.failure = exc
                exchange = refusal(method, path, data, exc)
            finally:
                self.transport.on_progress = previous
            if self.keep:
                self.captured.append(Captured(exchange, started, time.monotonic()))
        return exchange

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        # In flight from now until the transport is done (relaying what is left, or holding a stall, is not).
        self._count(+1)
        pending = True

        def settled() -> None:
            nonlocal pending
            if pending:
                pending = False
                self._count(-1)

        try:
            await self._serve(scope, receive, send, settled)
        finally:
            settled()

    def _count(self, change: int) -> None:
        with self._idle:
            self._in_flight += change
            self._idle.notify_all()

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any, settled: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        # The response is relayed as it arrives: a client's own read timeout must see the server's pace.
        loop = asyncio.get_running_loop()
        arrivals: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def progress(exchange: Exchange, chunk: bytes | None) -> None:
            loop.call_soon_threadsafe(arrivals.put_nowait, ("head", exchange) if chunk is None else ("chunk", chunk))

        async def forward() -> None:
            exchange = await asyncio.to_thread(self.forward, scope["method"], scope["path"],
                                               scope.get("query_string", b"").decode("latin-1"), body, headers,
                                               progress)
            arrivals.put_nowait(("done", exchange))
            settled()

        task = asyncio.ensure_future(forward())
        started = False
        while True:
            kind, value = await arrivals.get()
            if kind == "head" and not started:
                started = True
                await send({"type": "http.response.start", "status": value.status,
                            "headers": _relayed_headers(value.headers)})
            elif kind == "chunk" and started:
                await send({"type": "http.response.body", "body": value, "more_body": True})
            elif kind == "done":
                break
        await task
        if not started:
            await self.emit(value, receive, send)
        else:
            await self.finish(value, receive, send)

    async def emit(self, exchange: Exchange, receive: Any, send: Any) -> None:
        if exchange.status is None:
            if exchange.error_kind in ("timeout", "deadline"):
                await self._wait_for_disconnect(receive)
                return
            await _send_whole(send, 502, {"content-type": "application/json"}, json.dumps(
                {"error": {"message": f"the proxy got no response from the target: {exchange.error}",
                           "type": "proxy_error", "param": None, "code": exchange.error_kind}}).encode())
            return
        headers = _relayed_headers(exchange.headers)
        if exchange.error_kind is None and not exchange.is_stream:
            headers.append((b"content-length", str(len(exchange.body)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": headers})
        previous = 0.0
        for offset, chunk in exchange.chunks:
            if self.pace and offset > previous:
                await asyncio.sleep(offset - previous)
            previous = offset
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await self.finish(exchange, receive, send)

    async def finish(self, exchange: Exchange, receive: Any, send: Any) -> None:
        """End a response whose body has been sent as the target ended it."""
        if exchange.error_kind in ("stall", "deadline"):
            await self._wait_for_disconnect(receive)
            return  # unfinished: the server closes the connection
        if exchange.error_kind is not None:
            return  # cut off as the target cut it off
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _wait_for_disconnect(self, receive: Any) -> None:
        try:
            await asyncio.wait_for(_disconnected(receive), self.hold)
        except asyncio.TimeoutError:
            pass


def _relayed_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if k not in HOP_BY_HOP]


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_whole(send: Any, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body))}.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def refusal(method: str, path: str, data: Any, exc: BaseException) -> Exchange:
    """What the client gets when the suite will not send a request: an OpenAI-shaped error naming why."""
    if isinstance(exc, NotRecorded):
        status, code = 404, "not_recorded"
    else:
        status, code = 400, "budget_exhausted"
    body = {"error": {"message": str(exc), "type": "invalid_request_error", "param": None, "code": code}}
    return Exchange.from_parts(method, path, data, status=status, body=body, recorded=False)


def _both(first: Any, second: Any) -> Any:
    """One progress callback calling two (either may be None)."""
    if first is None or second is None:
        return first or second

    def call(exchange: Exchange, chunk: bytes | None) -> None:
        first(exchange, chunk)
        second(exchange, chunk)

    return call
