"""The transport never hangs and never raises for server behaviour; retries and budgets are bounded."""

from __future__ import annotations

import time

import pytest
from oaic.errors import BudgetExhausted, UsageError
from oaic.target import Target
from oaic.transport import Transport

from tests.wire_server import wire_server


def make(url: str, **settings) -> Transport:
    settings.setdefault("timeout", 0.5)
    return Transport(Target(base_url=url, **settings))


def test_hanging_server_times_out_with_a_clear_error():
    with wire_server() as (_, url):
        start = time.monotonic()
        ex = make(url).get("/hang")
        assert time.monotonic() - start < 2
        assert ex.status is None and ex.error_kind == "timeout"
        assert "no response headers within 0.5s" in ex.error


def test_stalled_stream_keeps_what_arrived():
    with wire_server() as (_, url):
        ex = make(url).post("/stall", json={"stream": True})
        assert ex.error_kind == "stall" and "no bytes for 0.5s" in ex.error
        assert ex.status == 200 and [e.data for e in ex.events] == ['{"a":1}']


def test_after_one_stall_later_stalls_cost_the_short_deadline(monkeypatch):
    import oaic.transport

    monkeypatch.setattr(oaic.transport, "SHORT_STALL_FLOOR_S", 0.2)  # timeout 1.0 -> a short deadline of 0.2 s
    with wire_server() as (_, url):
        transport = make(url, timeout=1.0)
        costs, exchanges = [], []
        for path in ("/stall", "/stall", "/late-stall"):
            start = time.monotonic()
            exchanges.append(transport.post(path, json={"stream": True}))
            costs.append(time.monotonic() - start)
    assert [ex.error_kind for ex in exchanges] == ["stall"] * 3
    assert 1.0 <= costs[0] < 1.8 and costs[1] < 0.6  # the first stall costs --timeout, the second the short one
    assert "no bytes for 1s after" in exchanges[0].error
    assert "no bytes for 0.2s (a deadline shortened from --timeout 1s after an earlier stall)" in exchanges[1].error
    assert exchanges[2].status == 200 and 0.6 <= costs[2] < 1.2  # the headers still had the full deadline
    assert transport.stats.stalls == 3 and transport.stats.stall_deadline_s == 0.2
    assert transport.stats.to_json()["stall_deadline_s"] == 0.2


def test_the_short_stall_deadline_is_a_share_of_the_timeout_with_a_floor():
    from oaic.transport import short_stall_deadline

    assert short_stall_deadline(30) == 6 and short_stall_deadline(5) == 2 and short_stall_deadline(1) == 1


def test_connection_closed_mid_stream():
    with wire_server() as (_, url):
        ex = make(url).post("/closed", json={"stream": True})
        assert ex.error_kind == "closed" and "connection closed after" in ex.error
        assert [e.data for e in ex.events] == ['{"a":1}']


def test_total_deadline_stops_a_trickling_stream():
    with wire_server() as (_, url):
        start = time.monotonic()
        ex = make(url, total_timeout=1.0).post("/trickle", json={"stream": True})
        assert time.monotonic() - start < 2.5
        assert ex.error_kind == "deadline"


def test_huge_body_is_cut_off():
    with wire_server() as (_, url):
        transport = Transport(Target(base_url=url, timeout=2), max_body_bytes=1024 * 1024)
        ex = transport.get("/huge")
        assert ex.error_kind == "too-large" and len(ex.body) <= 1024 * 1024 + 65536


def test_429_is_retried_honouring_retry_after_and_counted():
    with wire_server(fail_times=2) as (server, url):
        transport = make(url, max_retries=2)
        start = time.monotonic()
        ex = transport.get("/ratelimited")
        assert ex.status == 200 and ex.retries == 2
        assert transport.stats.retries == 2 and transport.stats.requests == 3
        assert time.monotonic() - start >= 0.4  # two waits of Retry-After: 0.2


def test_retries_are_bounded_and_retry_after_is_capped():
    slept = []
    with wire_server() as (_, url):
        transport = Transport(Target(base_url=url, timeout=1, max_retries=2, retry_after_cap=3.0),
                              sleep=slept.append)
        ex = transport.get("/unavailable")
    assert ex.status == 503 and ex.retries == 2
    assert slept == [3.0, 3.0]  # Retry-After: 1000 capped


def test_request_budget_stops_sending():
    with wire_server() as (server, url):
        transport = make(url, max_requests=2)
        transport.get("/models")
        transport.get("/models")
        with pytest.raises(BudgetExhausted, match="max-requests 2"):
            transport.get("/models")
        assert len(server.seen) == 2


def test_token_budget_and_accounting():
    with wire_server() as (_, url):
        transport = make(url, max_tokens_budget=10)
        transport.post("/echo", json={})
        transport.post("/echo", json={})
        assert transport.stats.total_tokens == 14 and transport.stats.prompt_tokens == 6
        with pytest.raises(BudgetExhausted, match="token budget"):
            transport.post("/echo", json={})


def test_rps_limit_spaces_requests():
    with wire_server() as (_, url):
        transport = make(url, rps=10)
        start = time.monotonic()
        for _ in range(4):
            transport.get("/models")
        assert time.monotonic() - start >= 0.28


def test_key_is_sent_but_scrubbed_from_the_exchange():
    with wire_server() as (server, url):
        transport = Transport(Target(base_url=url, api_key="sk-canary-123456", headers={"OpenAI-Project": "p1"}))
        ex = transport.get("/models")
        assert "authorization: Bearer sk-canary-123456" in server.seen[0][1].lower().replace("bearer", "Bearer")
        assert "sk-canary" not in str(ex.request_headers) and "p1" not in str(ex.request_headers)


def test_preflight_connection_refused_is_one_clear_error():
    transport = Transport(Target(base_url="http://127.0.0.1:9/v1"))
    start = time.monotonic()
    with pytest.raises(UsageError, match=r"cannot reach http://127.0.0.1:9/v1: connection refused"):
        transport.preflight()
    assert time.monotonic() - start < 5


def test_preflight_dns_failure():
    transport = Transport(Target(base_url="http://no-such-host.invalid/v1"))
    with pytest.raises(UsageError, match="cannot reach http://no-such-host.invalid/v1: DNS lookup failed"):
        transport.preflight()


def test_preflight_timeout_within_five_seconds():
    with wire_server() as (_, url):
        transport = Transport(Target(base_url=url + "/hang", timeout=30))  # GET .../hang/models never answers
        start = time.monotonic()
        with pytest.raises(UsageError, match="no answer within"):
            transport.preflight(deadline=1.0)
        assert time.monotonic() - start < 5


def test_preflight_accepts_any_http_answer():
    with wire_server() as (_, url):
        Transport(Target(base_url=url + "/nothing-here")).preflight()  # a 404 still proves the server is there


def test_connection_dropped_before_any_answer_is_retried_once():
    with wire_server() as (server, url):
        transport = make(url)
        ex = transport.get("/reset")
        assert ex.status is None and ex.error_kind == "closed"
        assert len(server.seen) == 2 and transport.stats.retries == 1  # one fresh attempt, then the verdict


def test_unreadable_retry_after_falls_back_to_backoff():
    from oaic.exchange import Exchange

    transport = Transport(Target(base_url="http://h/v1", retry_after_cap=10))
    soon = Exchange.from_parts(status=429, headers={"retry-after": "soon"})
    date = Exchange.from_parts(status=429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert transport._retry_delay(soon, 1) == 0.5 and transport._retry_delay(soon, 2) == 1.0
    assert transport._retry_delay(date, 1) == 0.0  # a date in the past: retry now
