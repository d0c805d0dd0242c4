"""`oaic serve`: usage errors in one line with exit 2, the fault listing, and the real command serving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from oaic.cli import main
from oaic.reference.faults import load_all


def test_busy_port_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"oaic: error: port {port} on 127.0.0.1 is already in use\n"


def test_unknown_fault_is_one_line_and_exit_2(capsys):
    assert main(["serve", "--fault", "no-such-fault"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown fault 'no-such-fault'" in err and "--list-faults" in err


def test_unset_key_variable_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.delenv("OAIC_TEST_UNSET_KEY", raising=False)
    assert main(["serve", "--api-key-env", "OAIC_TEST_UNSET_KEY"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OAIC_TEST_UNSET_KEY" in err


def test_list_faults_names_every_public_fault_with_its_requirements(capsys):
    assert main(["serve", "--list-faults"]) == 0
    out = capsys.readouterr().out
    public = [f for f in load_all().values() if f.public]
    assert out.rstrip().endswith(f"{len(public)} faults")
    for entry in public:
        line = next(line for line in out.splitlines() if line.split()[:1] == [entry.name])
        assert ", ".join(entry.requirements) in line
        assert entry.description in out
    assert len(public) >= 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_oaic_serve_answers_with_the_key_from_the_environment():
    port = _free_port()
    env = {**os.environ, "OAIC_TEST_SERVE_KEY": "sk-serve-test"}
    server = subprocess.Popen([sys.executable, "-m", "oaic.cli", "serve", "--port", str(port), "--api-key-env",
                               "OAIC_TEST_SERVE_KEY", "--fault", "models-list-bare"],
                              env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(base + "/models", headers={"authorization": "Bearer sk-serve-test"}, timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "oaic serve did not come up"
                time.sleep(0.1)
        assert isinstance(answer.json(), list)  # the fault is active
        assert httpx.get(base + "/models", timeout=2).status_code == 401
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/v1" in err and "models-list-bare" in err


# -- switches: served areas, the style of unknown routes, latency ------------------------------------------------------
def _answer(client: httpx.Client, method: str, path: str, **kwargs) -> tuple[int, object]:
    response = client.request(method, path, **kwargs)
    return response.status_code, response.json()


CHAT = {"model": "ref-chat", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 4}


def test_routes_restrict_the_provider_to_some_areas():
    from oaic.reference.server import ReferenceServer

    with ReferenceServer(routes="chat,models") as server, httpx.Client(base_url=server.base_url) as client:
        assert _answer(client, "GET", "/models")[0] == 200
        assert _answer(client, "POST", "/chat/completions", json=CHAT)[0] == 200
        status, body = _answer(client, "POST", "/embeddings", json={"model": "ref-embed", "input": "x"})
        assert status == 404 and body["error"]["code"] == "unknown_url"  # OpenAI's shape, as for any unknown path
        assert _answer(client, "POST", "/responses", json={"model": "ref-responses", "input": "x"})[0] == 404
        assert _answer(client, "GET", "/chat/completions")[0] == 405  # stored completions are not served
        server.reset(unknown_routes="detail")
        assert _answer(client, "POST", "/completions", json={"model": "ref-instruct", "prompt": "x"}) == (
            404, {"detail": "Not Found"})
        assert _answer(client, "GET", "/oaic-no-such-route") == (404, {"detail": "Not Found"})
        assert _answer(client, "GET", "/chat/completions") == (405, {"detail": "Method Not Allowed"})
        assert _answer(client, "GET", "/models")[0] == 200  # the kept routes, after the reset


def test_latency_delays_every_answer():
    from oaic.reference.server import ReferenceServer

    with ReferenceServer(latency=0.3) as server, httpx.Client(base_url=server.base_url) as client:
        start = time.monotonic()
        assert _answer(client, "GET", "/models")[0] == 200
        assert _answer(client, "GET", "/no-such-path")[0] == 404
        assert time.monotonic() - start >= 0.6


def test_unknown_area_or_negative_latency_is_one_line_and_exit_2(capsys):
    assert main(["serve", "--routes", "chat,files"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown API area 'files'" in err
    assert main(["serve", "--latency", "-1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_listening_socket_says_it_is_tcp_so_the_pure_python_loop_sets_nodelay():
    """asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; a plain `pip install oaic` (no uvloop)
    served each answer 40 ms late (Nagle and a delayed ACK) when the listening socket said proto 0."""
    import asyncio

    from oaic.reference.server import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP

        async def accepted_has_nodelay() -> int:
            got: asyncio.Future = asyncio.get_running_loop().create_future()

            def on_connect(reader, writer):
                got.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                writer.close()

            server = await asyncio.start_server(on_connect, sock=sock)
            _, writer = await asyncio.open_connection(*sock.getsockname())
            value = await asyncio.wait_for(got, 5)
            writer.close()
            server.close()
            return value

        assert asyncio.run(accepted_has_nodelay()) != 0
    finally:
        sock.close()
