"""Record and replay: an exchange replayed from its cassette is the exchange the transport captured, and
requests find their recordings by method, path and canonical JSON body, in order."""

from __future__ import annotations

import itertools
import json
import socket
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oaic import scope
from oaic.errors import NotRecorded, UsageError
from oaic.exchange import Exchange
from oaic.recording import open_store
from oaic.recording.naming import cassette_name
from oaic.recording.scrubbing import scrub_chunks
from oaic.scrub import PLACEHOLDER
from oaic.target import Target
from oaic.transport import Transport
from vcr.serialize import deserialize, serialize

from tests.wire_server import wire_server

BASE = "http://127.0.0.1:9/v1"
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}

# A stream that exercises every wire detail the checks look at, cut at awkward places: a CRLF split across two
# reads, a UTF-8 character split across two reads, a keep-alive comment, event/id/retry fields, an unknown field,
# a line that is not UTF-8, trailing spaces, a carriage-return-only line end, and a last event left unterminated.
TRICKY_CHUNKS = [
    b": ping\n\n",
    b'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\r',
    b'\n\r\nevent: delta\nid: 7\nretry: 15\ndata: {"content":"caf\xc3',
    b'\xa9 \xe2\x9c\x93"}\n\n',
    b"data: trailing spaces   \ndata: second line\rfoo: bar\n\n",
    b"data: \xff\xfe not utf-8\n\n",
    b"data: [DONE]\n\ndata: {\"late\": true}",
]


def _scripted_transport(chunks: list[bytes], store, status: int = 200,
                        headers: dict[str, str] | None = None) -> Transport:
    """A transport whose server answers with exactly these network reads, on a clock that ticks 10 ms a call."""
    ticks = itertools.count()
    transport = Transport(Target(base_url=BASE, api_key="sk-test-key-1234"), store=store,
                          clock=lambda: next(ticks) * 0.01)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers or {"content-type": "text/event-stream"},
                              content=iter(chunks))

    transport._client = httpx.Client(transport=httpx.MockTransport(answer))
    return transport


@pytest.fixture(autouse=True)
def _scope_of_each_test_is_its_own():
    """Whatever test scope a test opens is gone after it."""
    token = scope._SCOPE.set(None)
    yield
    scope._SCOPE.reset(token)


def _as_test(nodeid: str = "suite/scenarios/test_demo.py::test_one", phase: str = "call") -> None:
    """From now on in this test, requests are sent by the scenario test ``nodeid`` in ``phase``."""
    scope._SCOPE.set(scope.TestScope(nodeid, "demo", phase))


def _record(tmp_path: Path, send, target: Target | None = None) -> Path:
    folder = tmp_path / "rec"
    recorder = open_store({"record": str(folder)}, target or Target(base_url=BASE, models={"chat": "m"}))
    send(recorder)
    recorder.close()
    return folder


def _player(folder: Path):
    return open_store({"replay": str(folder)}, Target(base_url=""))


def _wire_view(ex: Exchange) -> dict:
    """Everything a check can see of an exchange. Arrival times are compared at the 0.1 ms the transport keeps
    for each network read (Exchange.chunks), which is what a cassette stores."""
    return {
        "status": ex.status, "headers": ex.headers, "body": ex.body, "chunks": ex.chunks, "error": ex.error,
        "error_kind": ex.error_kind, "elapsed": ex.elapsed, "first_byte": ex.first_byte, "retries": ex.retries,
        "stream_problems": ex.stream_problems, "comment_lines": ex.comment_lines,
        "events": None if ex.events is None else [
            (e.index, e.data, e.event, e.id, e.retry, e.raw_lines, e.comments, round(e.offset, 4), e.terminated)
            for e in ex.events],
    }


def test_a_tricky_stream_replays_byte_for_byte_with_identical_events(tmp_path, monkeypatch):
    _as_test()
    live: list[Exchange] = []
    folder = _record(tmp_path, lambda store: live.append(_scripted_transport(TRICKY_CHUNKS, store).post(
        "/chat/completions", json=CHAT)))
    player = _player(folder)
    try:
        replayed = Transport(player.target, store=player).post("/chat/completions", json=CHAT)
    finally:
        player.close()
    assert live[0].events and live[0].stream_problems  # the stream really is tricky
    assert _wire_view(replayed) == _wire_view(live[0])


def test_stalled_and_closed_streams_replay_with_their_transport_error(tmp_path, monkeypatch):
    _as_test()
    live: list[Exchange] = []
    with wire_server() as (_, url):
        target = Target(base_url=url, timeout=0.2)

        def send(store):
            transport = Transport(target, store=store)
            live.extend([transport.post("/stall", json={"stream": True}),
                         transport.post("/closed", json={"stream": True})])

        folder = _record(tmp_path, send, target)
    assert [ex.error_kind for ex in live] == ["stall", "closed"]
    player = _player(folder)
    try:
        transport = Transport(player.target, store=player)
        replayed = [transport.post("/stall", json={"stream": True}), transport.post("/closed", json={"stream": True})]
    finally:
        player.close()
    assert [_wire_view(ex) for ex in replayed] == [_wire_view(ex) for ex in live]
    assert transport.stats.stalls == 1 and transport.stats.stall_deadline_s is not None  # the report says it too


def test_no_response_at_all_replays_as_no_response(tmp_path, monkeypatch):
    _as_test()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: connecting is refused
    target = Target(base_url=f"http://127.0.0.1:{port}/v1")
    live = []
    folder = _record(tmp_path, lambda store: live.append(Transport(target, store=store).get("/models")), target)
    player = _player(folder)
    try:
        replayed = Transport(player.target, store=player).get("/models")
    finally:
        player.close()
    assert replayed.status is None and replayed.error_kind == "connect"
    assert _wire_view(replayed) == _wire_view(live[0])


def _json_server(store, bodies: list[dict]) -> Transport:
    answers = iter(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    transport = Transport(Target(base_url=BASE), store=store)
    transport._client = httpx.Client(transport=httpx.MockTransport(answer))
    return transport


def test_matching_ignores_key_order_whitespace_and_query_order(tmp_path, monkeypatch):
    _as_test()
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}

    def send(store):
        transport = _json_server(store, [{"answer": 1}, {"answer": 2}])
        transport.post("/chat/completions", json=body)
        transport.get("/chat/completions", params={"limit": 2, "after": "x"})

    folder = _record(tmp_path, send)
    player = _player(folder)
    try:
        transport = Transport(player.target, store=player)
        sdk_style = b'{"max_tokens":4,\n "messages":[{"content":"hi","role":"user"}],"model":"m"}'
        assert transport.post("/chat/completions", content=sdk_style).json() == {"answer": 1}
        assert transport.get("/chat/completions", params={"after": "x", "limit": 2}).json() == {"answer": 2}
    finally:
        player.close()


def test_identical_requests_get_their_recordings_in_order_then_not_recorded(tmp_path, monkeypatch):
    _as_test()
    def send(store):
        transport = _json_server(store, [{"n": i} for i in range(3)])
        for _ in range(3):
            transport.get("/models")

    folder = _record(tmp_path, send)
    player = _player(folder)
    try:
        transport = Transport(player.target, store=player)
        assert [transport.get("/models").json() for _ in range(3)] == [{"n": 0}, {"n": 1}, {"n": 2}]
        with pytest.raises(NotRecorded, match=r"recorded 3 time\(s\).*asked for once more.*--overwrite"):
            transport.get("/models")
    finally:
        player.close()


def test_not_recorded_names_the_cassette_the_difference_and_how_to_re_record(tmp_path, monkeypatch):
    _as_test()
    folder = _record(tmp_path, lambda store: _json_server(store, [{}]).post(
        "/chat/completions", json={"model": "m", "seed": 1}))
    player = _player(folder)
    try:
        transport = Transport(player.target, store=player)
        with pytest.raises(NotRecorded) as caught:
            transport.post("/chat/completions", json={"model": "m", "seed": 2})
        message = str(caught.value)
        assert str(folder / "test_demo" / "test_one.yaml") in message
        assert "at /seed: requested 2, recorded 1" in message
        assert f"oaic run --target {folder / 'profile.toml'} --record {folder} --overwrite" in message
        _as_test("suite/scenarios/test_demo.py::test_other")
        with pytest.raises(NotRecorded, match="does not exist"):
            transport.post("/chat/completions", json={"model": "m", "seed": 1})
    finally:
        player.close()


@pytest.mark.parametrize("phase", ["setup", "teardown"])
def test_a_shared_fixture_request_is_found_whichever_test_runs_it(tmp_path, monkeypatch, phase):
    def send(store):
        _as_test("suite/scenarios/test_demo.py::test_first", phase)
        _json_server(store, [{"shared": True}]).get("/models")

    folder = _record(tmp_path, send)
    _as_test("suite/scenarios/test_demo.py::test_second", phase)  # test_first was deselected
    player = _player(folder)
    try:
        assert Transport(player.target, store=player).get("/models").json() == {"shared": True}
    finally:
        player.close()


@pytest.mark.parametrize("nodeid, name", [
    ("suite/scenarios/test_chat.py::test_stream", "test_chat/test_stream.yaml"),
    ("../../tmp/venv/lib/suite/scenarios/test_chat.py::test_stream", "test_chat/test_stream.yaml"),
    ("test_chat.py::test_stream", "test_chat/test_stream.yaml"),
    ("suite/scenarios/chat/test_usage.py::TestUsage::test_n[2]", "chat/test_usage/TestUsage.test_n[2].yaml"),
    (None, "_session.yaml"),
])
def test_one_cassette_per_test_named_after_its_node_id(nodeid, name):
    assert cassette_name(nodeid) == name


def test_unsafe_characters_in_test_ids_keep_ids_apart():
    a = cassette_name("suite/scenarios/test_x.py::test_y[a/b]")
    b = cassette_name("suite/scenarios/test_x.py::test_y[a:b]")
    assert a != b and "/" not in a.split("test_x/", 1)[1]


def test_record_refuses_to_overwrite_unless_told_and_then_keeps_other_files(tmp_path, monkeypatch):
    _as_test()
    folder = _record(tmp_path, lambda store: _json_server(store, [{}]).get("/models"))
    (folder / "expected.json").write_text("{}")
    with pytest.raises(UsageError, match="already there; add --overwrite"):
        open_store({"record": str(folder)}, Target(base_url=BASE))
    _as_test("suite/scenarios/test_demo.py::test_new")
    recorder = open_store({"record": str(folder), "overwrite": True}, Target(base_url=BASE))
    _json_server(recorder, [{}]).get("/models")
    recorder.close()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "expected.json", "options.json", "profile.toml", "test_demo/test_new.yaml"]


def test_replay_without_a_recording_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no recording there"):
        open_store({"replay": str(tmp_path)}, Target(base_url=""))


def test_replay_blocks_the_network(tmp_path, monkeypatch):
    _as_test()
    folder = _record(tmp_path, lambda store: _json_server(store, [{}]).get("/models"))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        player = _player(folder)
        try:
            with pytest.raises(httpx.ConnectError, match="network is blocked"):
                httpx.get(f"http://127.0.0.1:{listener.getsockname()[1]}/v1/models")
        finally:
            player.close()
        with socket.create_connection(listener.getsockname(), timeout=1):
            pass  # connecting works again once the replay is over


def test_the_profile_rebuilds_the_target_without_secrets(tmp_path, monkeypatch):
    _as_test()
    target = Target(base_url=BASE, name="demo", api_key="sk-live-abcdef", models={"chat": "m", "embeddings": "e"},
                    headers={"X-Api-Key": "hdr-secret-99", "X-Tenant": "t1"},
                    capabilities={"core", "chat", "embeddings"}, timeout=7.0, max_requests=42)
    folder = _record(tmp_path, lambda store: None, target)
    text = (folder / "profile.toml").read_text()
    assert "sk-live-abcdef" not in text and "hdr-secret-99" not in text
    replayed = _player(folder)
    replayed.close()
    rebuilt = replayed.target
    assert (rebuilt.name, rebuilt.base_url, rebuilt.models, rebuilt.capabilities, rebuilt.timeout,
            rebuilt.max_requests, rebuilt.api_key) == (
        "demo", BASE, {"chat": "m", "embeddings": "e"}, {"core", "chat", "embeddings"}, 7.0, 42, None)
    assert rebuilt.headers == {"X-Api-Key": PLACEHOLDER, "X-Tenant": "t1"}


def test_a_secret_split_across_two_reads_is_scrubbed_and_timing_kept():
    chunks = [(0.1, b'{"error": "bad key sk-se'), (0.2, b'cret-42 given"}'), (0.3, b"tail")]
    body, ends = scrub_chunks(chunks, ["sk-secret-42"])
    assert body == b'{"error": "bad key ' + PLACEHOLDER.encode() + b' given"}tail'
    assert body[ends[0]:ends[1]] == b' given"}' and body[ends[1]:ends[2]] == b"tail"


def test_cassettes_are_standard_vcr_cassettes(tmp_path, monkeypatch):
    from vcr.cassette import Cassette
    from vcr.request import Request

    _as_test()
    folder = _record(tmp_path, lambda store: _scripted_transport(TRICKY_CHUNKS, store).post(
        "/chat/completions", json=CHAT))
    cassette = Cassette.load(path=str(folder / "test_demo" / "test_one.yaml"))  # vcrpy's own loader and matchers
    response = cassette.play_response(Request("POST", BASE + "/chat/completions", json.dumps(CHAT), {}))
    assert response["status"]["code"] == 200
    assert response["body"]["string"] == b"".join(TRICKY_CHUNKS)


def test_replay_reuses_the_recorded_seed_unless_told_otherwise(tmp_path, monkeypatch):
    _as_test()
    folder = tmp_path / "rec"
    recorder = open_store({"record": str(folder)}, Target(base_url=BASE))
    recorder.property_options({"seed": "7", "examples": "3"})
    recorder.close()
    for asked, used in (({}, "7"), ({"seed": "9"}, "9")):
        player = open_store({"replay": str(folder)}, None)
        options = player.property_options(asked)
        player.close()
        assert (options["seed"], options["examples"]) == (used, "3")


def test_a_credential_like_query_parameter_is_scrubbed_and_still_matches(tmp_path, monkeypatch):
    _as_test()
    folder = _record(tmp_path, lambda store: _json_server(store, [{"page": 2}]).get(
        "/things", params={"page_token": "tok-abcdef", "limit": 2}))
    assert "tok-abcdef" not in (folder / "test_demo" / "test_one.yaml").read_text()
    player = _player(folder)
    try:
        replayed = Transport(player.target, store=player).get("/things", params={"page_token": "tok-abcdef",
                                                                                  "limit": 2})
    finally:
        player.close()
    assert replayed.json() == {"page": 2}


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(body=st.one_of(st.text(alphabet=st.sampled_from(list("ab :#-'\"\\\t\r\n\x00\x85\u2028é✓\ufeff|>"))),
                      st.binary(max_size=64)),
       cuts=st.lists(st.integers(min_value=0, max_value=64), max_size=4))
def test_any_body_round_trips_through_a_cassette_byte_for_byte(body, cuts):
    from oaic.recording import cassette

    raw = body.encode("utf-8") if isinstance(body, str) else body
    ends = sorted({min(c, len(raw)) for c in cuts} | {len(raw)})
    chunks, start = [], 0
    for index, end in enumerate(ends):
        chunks.append((index * 0.01, raw[start:end]))
        start = end
    exchange = Exchange(method="POST", path="/x", status=200, headers={"content-type": "text/event-stream"},
                        body=raw, chunks=chunks, elapsed=0.5)
    request, response = cassette.to_interaction(exchange, None, BASE, [], "call")
    text = serialize({"requests": [request], "responses": [response]}, cassette.SERIALIZER)  # as the persister does
    requests, responses = deserialize(text, cassette.SERIALIZER)
    replayed = cassette.to_exchange(requests[0], responses[0], "POST", "/x", None)
    assert replayed.body == raw and replayed.chunks == chunks


def test_a_broken_cassette_is_named(tmp_path, monkeypatch):
    _as_test()
    folder = _record(tmp_path, lambda store: _json_server(store, [{}]).get("/models"))
    (folder / "test_demo" / "test_one.yaml").write_text("interactions:\n- request: [unclosed\n")
    player = _player(folder)
    try:
        with pytest.raises(ValueError, match="test_one.yaml is not a readable VCR cassette"):
            Transport(player.target, store=player).get("/models")
    finally:
        player.close()
