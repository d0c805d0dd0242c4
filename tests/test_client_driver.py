"""Driver processes: the Python driver's warm-up (each step really runs its operation through the SDK, since a step
that silently fails warms nothing; offline; never at the same time as a request, whose answer it does not change),
and a driver kept from one run for the next in the same process."""

from __future__ import annotations

import io
import json
import sys
import threading
import time

import pytest

pytest.importorskip("openai")

from oaic import clients  # noqa: E402
from oaic.clients import warm_up  # noqa: E402
from oaic.clients.process import DriverProcess  # noqa: E402
from oaic.clients.python_driver import Driver  # noqa: E402


def test_every_step_runs_its_operation_through_the_sdk_on_a_canned_answer():
    driver = Driver()
    client = warm_up.in_memory_client(driver.openai)
    assert client is not None and str(client.base_url).startswith(warm_up.BASE_URL)
    answers = {}
    for name, params in warm_up.STEPS:
        operation = getattr(driver, "op_" + name.replace(".", "_"))
        try:
            answers[(name, params.get("stream") is True)] = operation(client, dict(params))
        except Exception as exc:  # only the error step raises, as the SDK does on a 404
            answers[(name, "error")] = driver.describe(exc)
    assert answers[("chat.completions.create", False)]["response"]["choices"][0]["message"]["content"] == "ok"
    streamed = answers[("chat.completions.create", True)]
    assert streamed["choices"]["0"]["text"] == "o" and streamed["usage"]["total_tokens"] == 2
    assert streamed["choices"]["0"]["tool_calls"] == [{"id": "call_w", "name": "f", "arguments": "{}"}]
    assert answers[("models.retrieve", "error")]["class"] == "openai.NotFoundError"
    assert answers[("models.list", False)]["items"][0]["id"] == "w"
    assert answers[("completions.create", False)]["response"]["choices"][0]["text"] == "ok"
    assert answers[("completions.create", True)]["choices"]["0"]["finish_reason"] == "stop"
    assert answers[("embeddings.create", False)]["response"]["data"][0]["embedding"] == [0.0, 1.0]
    assert answers[("responses.create", False)]["response"]["status"] == "completed"
    assert answers[("responses.create", True)]["final"]["id"] == "resp_w"


def test_steps_cover_every_operation_an_unknown_path_is_an_error():
    assert warm_up.canned("GET", "/v1/elsewhere", {})[0] == 404
    assert len(list(warm_up.steps(Driver()))) == len(warm_up.STEPS)


class Recording(Driver):
    """Notes when a request or a warm-up step (they share op_models_list) is running, and any overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.overlaps = 0
        self.warmed = threading.Event()
        self.events: list[str] = []

    def op_chat_completions_create(self, client, params):
        self.events.append("step")  # the warm-up's first step: the requests here are all "echo"
        return super().op_chat_completions_create(client, params)

    def op_models_list(self, client, params):
        self.running += 1
        self.overlaps += self.running > 1
        time.sleep(0.05)
        try:
            return super().op_models_list(client, params)
        finally:
            self.running -= 1
            if str(client.base_url).startswith(warm_up.BASE_URL):
                self.warmed.set()

    def answer(self, request):
        self.running += 1
        self.overlaps += self.running > 1
        self.events.append("answer")
        try:
            return {"result": {"answered": request["op"]}} if request["op"] == "echo" else super().answer(request)
        finally:
            self.running -= 1


def test_requests_are_answered_while_warming_up_and_never_alongside_a_step():
    driver = Recording()
    lines = "".join(json.dumps({"id": n, "op": "echo", "params": {}, "base_url": "http://127.0.0.1:9/v1"}) + "\n"
                    for n in range(1, 30))
    out = io.StringIO()
    driver.serve(io.StringIO(lines), out)
    assert driver.warmed.wait(10), "the warm-up did not reach its models.list step"
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == list(range(1, 30))
    assert all(a["result"] == {"answered": "echo"} for a in answers)
    assert driver.overlaps == 0
    assert driver.events[:29] == ["answer"] * 29  # requests in a row leave the warm-up no pause
    assert driver.clients == {}  # the warm-up's client is its own, never one a request gets


def test_without_warm_up_nothing_runs_but_the_requests():
    driver = Recording()
    driver.serve(io.StringIO(json.dumps({"id": 1, "op": "echo"}) + "\n"), io.StringIO(), warm_up=False)
    time.sleep(0.2)
    assert not driver.warmed.is_set()


def test_a_driver_is_kept_for_the_next_run_unless_it_died_or_one_is_kept_already():
    command = [sys.executable, "-c", "import sys\nfor line in sys.stdin: pass"]
    kept, extra, dead = DriverProcess(command), DriverProcess(command), DriverProcess(command)
    for driver in (kept, extra, dead):
        driver.start()
    dead.proc.kill()
    dead.proc.wait()
    try:
        clients.release(command, dead)
        assert tuple(command) not in clients._started
        clients.release(command, kept)
        clients.release(command, kept)  # a run closes its transport twice: the driver stays kept
        clients.release(command, extra)
        assert clients._started[tuple(command)] is kept and kept.alive() and not extra.alive()
    finally:
        clients._started.pop(tuple(command), None)
        kept.close()


def test_dump_gives_what_model_dump_gives_without_building_serializers():
    import openai
    from oaic.clients.python_driver import dump

    client = warm_up.in_memory_client(openai)
    chat = client.chat.completions.create(**warm_up._CHAT_BODY)
    chunks = list(client.chat.completions.create(**warm_up._CHAT_BODY, stream=True))
    response = client.responses.create(model="w", input="hi")
    events = list(client.responses.create(model="w", input="hi", stream=True))
    embeddings = client.embeddings.create(model="w", input="hi")
    vendor = openai.types.chat.ChatCompletion.construct(**{**warm_up._CHAT, "x_vendor": {"cached": True}})
    objects = [chat, *chunks, chunks[-1].usage, response, *events, embeddings, vendor]
    for item in objects:
        assert json.loads(json.dumps(dump(item))) == json.loads(json.dumps(item.model_dump(mode="json",
                                                                                             exclude_unset=True)))
    assert dump(vendor)["x_vendor"] == {"cached": True}
    assert "system_fingerprint" not in dump(chat)  # not sent, so not set: left out as model_dump leaves it out
