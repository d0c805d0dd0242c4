"""ClientTransport: the run's transport as the scenarios see it when a client library is under test.

A request an SDK could make is made by the client's driver against the capturing proxy; the proxy sends it
through the real transport, so the scenario gets the exchange the wire produced (every existing check works
unchanged) and the client.* checks compare that exchange with what the client handed back. Any other request
goes over the raw wire as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ..checks.client import ClientCall, judge
from ..errors import BudgetExhausted, NotRecorded
from ..exchange import Exchange
from ..findings import Finding
from ..scope import current_scope
from ..transport import RequestVerbs
from .operations import Operation, operation
from .process import DriverProcess
from .proxy import CapturingProxy

PROXY_KEY = "oaic-proxy"  # the client's key: the proxy drops it and the transport sends the run's own
DRIVER_SLACK = 15.0


def served_unrecorded(exchange: Exchange) -> bool:
    """A served recording's answer to a request it does not hold (see replay_server.py)."""
    body = exchange.json() if exchange.status == 404 and exchange.content_type == "application/json" else None
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("code") == "not_recorded"


class ClientTransport(RequestVerbs):
    def __init__(self, inner: Any, command: list[str], sink: Callable[[list[Finding]], Any],
                 driver: DriverProcess | None = None) -> None:
        self.inner = inner
        self.command = command
        self.sink = sink
        self.driver = driver or DriverProcess(command)
        self.proxy: CapturingProxy | None = None
        self.calls = 0
        if driver is None:  # started now, so the driver's imports overlap with the collection of the scenarios
            self.driver.start()

    @property
    def raw(self) -> Any:
        """The transport underneath, for requests that are not an application's (the property phase)."""
        return self.inner

    def __getattr__(self, name: str) -> Any:  # stats, target, store, on_exchange, url, preflight ...
        return getattr(self.inner, name)

    def request(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, content: bytes | None = None, auth: bool = True,
                retry: bool = True) -> Exchange:
        full = f"{path}?{urlencode(params, doseq=True)}" if params else path
        op = operation(method, full, json, headers, content, auth) if retry else None
        if op is None:
            return self.inner.request(method, full, json=json, headers=headers, content=content, auth=auth,
                                      retry=retry)
        call = self.perform(op)
        if call is None:  # the client sent nothing (it refused the parameters, or lacks the operation)
            return self.inner.request(method, full, json=json, headers=headers, content=content, auth=auth)
        answered = [e for e in call.exchanges if e.recorded]
        exchange = answered[0] if op.is_list else answered[-1]
        if served_unrecorded(exchange):  # the client's request differs from the recorded one (oaic serve --replay)
            raise NotRecorded(f"{exchange.method} {exchange.path}: {exchange.json()['error'].get('message')}")
        if len(answered) == len(call.exchanges):
            self.sink(judge(call))
        # else the recording lacks a request the client went on to make (a retry, a later page): what the client
        # returned reflects the missing recording, not the server, and is not judged.
        exchange.retries = 0 if op.is_list else len(answered) - 1
        return exchange

    def perform(self, op: Operation) -> ClientCall | None:
        proxy = self._proxy()
        proxy.take()
        proxy.failure = None
        proxy.scope = current_scope()  # the proxy's thread sends on behalf of the test that asked
        target = self.inner.target
        options = {"max_retries": target.max_retries, "timeout": target.timeout}
        deadline = (target.total_timeout + target.timeout) * (target.max_retries + 1) + proxy.hold + DRIVER_SLACK
        self.calls += 1
        answer = self.driver.call({"op": op.name, "params": op.params, "base_url": proxy.base_url,
                                   "api_key": PROXY_KEY, "options": options}, deadline)
        answered = time.monotonic()
        captured = proxy.take(settle=target.total_timeout + target.timeout)
        if proxy.failure is not None and (not captured or not captured[0].exchange.recorded):
            raise proxy.failure
        if not captured:
            return None
        if isinstance(proxy.failure, BudgetExhausted):
            raise proxy.failure
        return ClientCall(op.name, op.params, [c.exchange for c in captured], [c.started for c in captured],
                          [c.finished for c in captured], answer, answered, target.max_retries, target.timeout)

    def _proxy(self) -> CapturingProxy:
        if self.proxy is None:
            self.proxy = CapturingProxy(self.inner, hold=self.inner.target.timeout + 10).start()
        return self.proxy

    def close(self) -> None:
        from . import release

        release(self.command, self.driver)  # kept for the next run in this process, if there is one
        if self.proxy is not None:
            self.proxy.stop(wait=False)  # the run is over: nothing waits for the proxy's last connections
            self.proxy = None
        self.inner.close()
