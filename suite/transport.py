"""Transport: every request of a run goes through here.

It owns what a conformance run must never get wrong about the network: deadlines (connect, stall, total),
bounded retries on 429/503 that honour Retry-After, a requests-per-second limit, request and token accounting,
budget caps, and capture of the response exactly as it came over the wire (SSE decoded by ``sse.py`` with raw
lines and arrival times). It never raises for what a server does; failures become part of the Exchange.
Recording and replay plug in through the ``store`` object (see recording.py).
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from . import __version__
from .errors import BudgetExhausted, UsageError
from .exchange import Exchange
from .ledger import MemoryLedger, SharedLedger
from .scope import TestScope, current_scope
from .scrub import scrub_headers
from .sse import SSEDecoder
from .target import Target

MAX_BODY_BYTES = 16 * 1024 * 1024
RETRY_STATUSES = (429, 503)
SHORT_STALL_FLOOR_S = 2.0  # the shortened stall deadline never goes below this
SHORT_STALL_SHARE = 5  # ... and is otherwise this fraction of --timeout


def short_stall_deadline(timeout: float) -> float:
    """The stall deadline once a target has stalled: a stalled stream costs one full --timeout, not one each."""
    return min(timeout, max(SHORT_STALL_FLOOR_S, timeout / SHORT_STALL_SHARE))


class ExchangeStore(Protocol):
    """A recorder or a player of exchanges (see recording.py)."""

    replaying: bool

    def replay(self, method: str, path: str, request_json: Any, content: bytes | None,
               scope: TestScope | None) -> Exchange: ...

    def record(self, exchange: Exchange, content: bytes | None, scope: TestScope | None) -> None: ...


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    budget_refusals: int = 0
    stalls: int = 0  # responses that stopped sending mid-body
    stall_deadline_s: float | None = None  # the shortened stall deadline, once a stall has occurred

    def to_json(self) -> dict[str, int | float | None]:
        return dict(self.__dict__)


class RequestVerbs:
    """``get``/``post``/``delete`` over ``request``: for the transport and for what wraps it (a client under test)."""

    def request(self, method: str, path: str, **kwargs: Any) -> Exchange:
        raise NotImplementedError

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Exchange:
        return self.request("POST", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)


class Transport(RequestVerbs):
    def __init__(self, target: Target, store: ExchangeStore | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.target = target
        self.store = store
        self.stats = Stats()
        self.clock = clock
        # A replay answers from cassettes: waiting (Retry-After, a pause before re-reading) would only cost time.
        self.sleep = (lambda seconds: None) if store is not None and store.replaying else sleep
        self.max_body_bytes = max_body_bytes
        self._client: httpx.Client | None = None
        # The run's budgets and rate: counted here, or shared by the processes of a parallel run (see ledger.py).
        self.ledger: MemoryLedger | SharedLedger = MemoryLedger(clock)
        # Told every exchange with the test that sent it (the run counts it and applies the transport checks).
        self.on_exchange: Callable[[Exchange, TestScope | None], None] | None = None
        # Called with the exchange once its headers are in, then with each chunk as it arrives (a proxy relays them).
        self.on_progress: Callable[[Exchange, bytes | None], None] | None = None
        # Called with the method and path just before each attempt is sent (a progress display times the wait).
        self.on_send: Callable[[str, str], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            t = self.target
            self._client = httpx.Client(
                timeout=httpx.Timeout(t.timeout, connect=t.connect_timeout),
                follow_redirects=False,
                headers={"user-agent": f"oaic/{__version__}"},
                # Building a TLS context costs tens of milliseconds; a plain-http target never uses it.
                verify=t.base_url.startswith("https:"),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def url(self, path: str) -> str:
        return self.target.base_url + path

    # -- requests -------------------------------------------------------------------------------------
    def request(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, content: bytes | None = None, auth: bool = True,
                retry: bool = True) -> Exchange:
        """Send one request (plus bounded retries) and capture the response. Never raises for server behaviour.

        With ``content`` the bytes are sent as they are; ``json`` given as well is only recorded as the exchange's
        ``request_json`` (e.g. the fields of a multipart form, so checks can read what was asked)."""
        if params:
            path = f"{path}?{urlencode(params, doseq=True)}"
        send_headers = self._headers(headers, auth, json is not None or content is not None)
        scope = current_scope()
        if self.store is not None and self.store.replaying:
            self.stats.requests += 1
            self.ledger.count_request()
            exchange = self.store.replay(method, path, json, content, scope)
            # What this run sends, as a live run would capture it (checks may read the request's Accept header).
            exchange.request_headers = exchange.request_headers or scrub_headers(send_headers)
            self._count_stall(exchange)
            self._account(exchange)
            self._notify(exchange, scope)
            return exchange
        attempt = 0
        stale_connection_retried = False
        while True:
            self._check_budget()
            self._throttle()
            self.stats.requests += 1
            exchange = self._send_once(method, path, json, content, send_headers)
            exchange.retries = attempt
            self._count_stall(exchange)
            if exchange.error_kind == "closed" and exchange.status is None and not stale_connection_retried:
                # A kept-alive connection the server had already dropped: nothing was answered, so send once
                # more on a fresh connection, as HTTP clients do. A second failure is the server's.
                stale_connection_retried = True
                self.stats.retries += 1
                continue
            if not (retry and exchange.status in RETRY_STATUSES and attempt < self.target.max_retries):
                break
            attempt += 1
            self.stats.retries += 1
            self.sleep(self._retry_delay(exchange, attempt))
        self._account(exchange)
        if self.store is not None:
            self.store.record(exchange, content, scope)
        self._notify(exchange, scope)
        return exchange

    def _count_stall(self, exchange: Exchange) -> None:
        if exchange.error_kind == "stall":
            self.stats.stalls += 1
            self.stats.stall_deadline_s = short_stall_deadline(self.target.timeout)

    def _notify(self, exchange: Exchange, scope: TestScope | None) -> None:
        if self.on_exchange is not None:
            self.on_exchange(exchange, scope)

    def _headers(self, extra: dict[str, str] | None, auth: bool, has_body: bool) -> dict[str, str]:
        out = dict(self.target.headers)
        if has_body:
            out.setdefault("content-type", "application/json")
        if auth and self.target.api_key:
            out["authorization"] = f"Bearer {self.target.api_key}"
        for name, value in (extra or {}).items():
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def _check_budget(self) -> None:
        refusal = self.ledger.reserve_request(self.target.max_requests, self.target.max_tokens_budget)
        if refusal:
            self.stats.budget_refusals += 1
            raise BudgetExhausted(refusal)

    def _throttle(self) -> None:
        if self.target.rps > 0:
            self.sleep(self.ledger.claim_start(self.target.rps))

    def _retry_delay(self, exchange: Exchange, attempt: int) -> float:
        cap = self.target.retry_after_cap
        value = exchange.headers.get("retry-after", "").strip()
        if value:
            try:
                return min(max(float(value), 0.0), cap)
            except ValueError:
                pass
            try:  # an HTTP date
                return min(max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0), cap)
            except (TypeError, ValueError, OverflowError):
                pass  # unreadable: back off as if there were none
        return min(0.5 * 2 ** (attempt - 1), cap)

    def _send_once(self, method: str, path: str, json: Any, content: bytes | None,
                   headers: dict[str, str]) -> Exchange:
        body = content if content is not None else (
            jsonlib.dumps(json).encode("utf-8") if json is not None else None)
        exchange = Exchange(method=method, path=path, request_json=json,
                            request_headers=scrub_headers(headers))
        wants_stream = isinstance(json, dict) and json.get("stream") is True
        start = self.clock()
        total = self.target.total_timeout
        received = 0
        decoder: SSEDecoder | None = None
        stall_deadline = self.stats.stall_deadline_s or self.target.timeout
        if self.on_send is not None:
            self.on_send(method, path)
        try:
            with self.client.stream(method, self.url(path), content=body, headers=headers) as response:
                if stall_deadline < self.target.timeout:
                    # Waiting for the headers keeps the full deadline (a slow model is not a stall); the body is
                    # read under the short one. httpcore reads the documented "timeout" request extension when it
                    # starts reading the body, so changing it now affects only the body.
                    response.request.extensions.get("timeout", {})["read"] = stall_deadline
                exchange.status = response.status_code
                exchange.headers = {k.lower(): v for k, v in response.headers.items()}
                if self.on_progress is not None:
                    self.on_progress(exchange, None)
                ctype = exchange.content_type
                if ctype == "text/event-stream" or (wants_stream and response.is_success
                                                     and ctype not in ("application/json",)):
                    decoder = SSEDecoder()
                parts: list[bytes] = []
                for chunk in response.iter_bytes():
                    now = round(self.clock() - start, 4)  # as recorded, so a replay decodes the same offsets
                    if exchange.first_byte is None:
                        exchange.first_byte = now
                    received += len(chunk)
                    parts.append(chunk)
                    exchange.chunks.append((now, chunk))
                    if self.on_progress is not None:
                        self.on_progress(exchange, chunk)
                    if decoder is not None:
                        decoder.feed(chunk, now)
                    if received > self.max_body_bytes:
                        exchange.error_kind = "too-large"
                        exchange.error = (f"response body exceeded {self.max_body_bytes} bytes; "
                                          f"the suite stopped reading")
                        break
                    if now > total:
                        exchange.error_kind = "deadline"
                        exchange.error = f"response not complete after the total deadline of {total:g}s"
                        break
                exchange.body = b"".join(parts)
        except httpx.ConnectTimeout:
            exchange.error_kind = "connect"
            exchange.error = f"connect timeout after {self.target.connect_timeout:g}s to {self.url(path)}"
        except httpx.ConnectError as exc:
            exchange.error_kind = "connect"
            exchange.error = f"cannot connect to {self.url(path)}: {_cause(exc)}"
        except httpx.ReadTimeout:
            if exchange.status is None:
                exchange.error_kind = "timeout"
                exchange.error = f"no response headers within {self.target.timeout:g}s"
            else:
                exchange.error_kind = "stall"
                shortened = (" (a deadline shortened from --timeout "
                             f"{self.target.timeout:g}s after an earlier stall)") \
                    if stall_deadline < self.target.timeout else ""
                exchange.error = f"stream stalled: no bytes for {stall_deadline:g}s{shortened} after {received} bytes"
            exchange.body = b"".join(c for _, c in exchange.chunks)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            exchange.error_kind = "closed"
            exchange.error = f"connection closed after {received} bytes: {_cause(exc)}"
            exchange.body = b"".join(c for _, c in exchange.chunks)
        except httpx.HTTPError as exc:
            exchange.error_kind = "closed"
            exchange.error = f"HTTP error after {received} bytes: {_cause(exc)}"
            exchange.body = b"".join(c for _, c in exchange.chunks)
        exchange.elapsed = self.clock() - start
        if decoder is not None:
            decoder.close(exchange.elapsed)
            exchange.events = decoder.events
            exchange.stream_problems = decoder.problems
            exchange.comment_lines = decoder.comment_count
        return exchange

    def _account(self, exchange: Exchange) -> None:
        usage = find_usage(exchange)
        if not usage:
            return
        prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
        completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
        total = _int(usage.get("total_tokens")) or prompt + completion
        self.stats.prompt_tokens += prompt
        self.stats.completion_tokens += completion
        self.stats.total_tokens += total
        self.ledger.add_tokens(total)

    # -- preflight ------------------------------------------------------------------------------------
    def preflight(self, deadline: float = 4.5) -> None:
        """One cheap request; raise UsageError naming the URL and the cause when the target is unreachable."""
        url = self.url("/models")
        timeout = httpx.Timeout(min(self.target.timeout, deadline), connect=min(self.target.connect_timeout, 3.0))
        try:
            with httpx.Client(timeout=timeout) as client:
                client.get(url, headers=self._headers(None, True, False))
        except httpx.ConnectTimeout:
            raise UsageError(f"cannot reach {self.target.base_url}: connect timeout") from None
        except httpx.TimeoutException:
            raise UsageError(f"cannot reach {self.target.base_url}: no answer within {timeout.read:g}s") from None
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot reach {self.target.base_url}: {_cause(exc)}") from None


def find_usage(exchange: Exchange) -> dict[str, Any] | None:
    """The usage object of a response or of the last stream event that carries one."""
    if exchange.is_stream:
        for _, payload in reversed(exchange.chunks_json()):
            if isinstance(payload, dict):
                usage = payload.get("usage")
                if usage is None and isinstance(payload.get("response"), dict):
                    usage = payload["response"].get("usage")
                if isinstance(usage, dict):
                    return usage
        return None
    body = exchange.json() if exchange.content_type == "application/json" else None
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        return body["usage"]
    return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _cause(exc: BaseException) -> str:
    """The innermost reason of a network error, in words a user recognises."""
    text = str(exc) or exc.__class__.__name__
    lowered = text.lower()
    if "connection refused" in lowered or "errno 111" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered \
            or "temporary failure in name resolution" in lowered or "no address associated" in lowered:
        return f"DNS lookup failed ({text})"
    if "ssl" in lowered or "certificate" in lowered:
        return f"TLS failure ({text})"
    return text
