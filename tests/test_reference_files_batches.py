"""The reference provider's files and batches beyond what the SDK self-tests show: lines that fail land in the
error file, an input file that is not a batch file fails validation, and finished batches cannot be cancelled."""

from __future__ import annotations

import json

from oaic import multipart
from oaic.reference.app import create_app
from starlette.testclient import TestClient


def line(custom_id: str, **body) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "ref-chat", "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 2, **body}}


def upload(client: TestClient, data: bytes, purpose: str = "batch") -> str:
    content, headers = multipart.encode({"purpose": purpose}, {"file": ("in.jsonl", data, "application/jsonl")})
    answer = client.post("/v1/files", content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def batch_of(client: TestClient, file_id: str) -> dict:
    created = client.post("/v1/batches", json={"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                                               "completion_window": "24h"})
    assert created.status_code == 200, created.text
    return client.get(f"/v1/batches/{created.json()['id']}").json()


def test_a_refused_line_goes_to_the_error_file():
    client = TestClient(create_app())
    data = "".join(json.dumps(x) + "\n" for x in (line("ok"), line("bad", temperature=3))).encode()
    done = batch_of(client, upload(client, data))
    assert done["status"] == "completed" and done["request_counts"] == {"total": 2, "completed": 1, "failed": 1}
    errors = [json.loads(x) for x in client.get(f"/v1/files/{done['error_file_id']}/content").text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("bad", 400)]
    assert client.get(f"/v1/files/{done['error_file_id']}").json()["purpose"] == "batch_output"


def test_an_input_file_with_broken_lines_fails_validation():
    client = TestClient(create_app())
    data = (json.dumps(line("a")) + "\nnot json\n" + json.dumps({**line("b"), "url": "/v1/embeddings"}) + "\n").encode()
    failed = batch_of(client, upload(client, data))
    assert failed["status"] == "failed" and failed["failed_at"] and failed["output_file_id"] is None
    assert [e["line"] for e in failed["errors"]["data"]] == [2, 3]


def test_wrong_inputs_are_refused():
    client = TestClient(create_app())
    text_file = upload(client, b"hello\n", purpose="user_data")
    for body, param in (({"input_file_id": text_file}, "input_file_id"), ({"input_file_id": "file-none"}, "input_file_id"),
                        ({"endpoint": "/v1/nothing"}, "endpoint"), ({"completion_window": "1h"}, "completion_window")):
        request = {"input_file_id": "file-none", "endpoint": "/v1/chat/completions", "completion_window": "24h", **body}
        answer = client.post("/v1/batches", json=request)
        assert answer.status_code == 400 and answer.json()["error"]["param"] == param, (body, answer.text)


def test_a_finished_batch_cannot_be_cancelled():
    client = TestClient(create_app())
    done = batch_of(client, upload(client, (json.dumps(line("a")) + "\n").encode()))
    answer = client.post(f"/v1/batches/{done['id']}/cancel")
    assert answer.status_code == 400 and "completed" in answer.json()["error"]["message"]


def test_the_files_list_is_newest_first_and_pages():
    client = TestClient(create_app())
    ids = [upload(client, f"{n}\n".encode(), purpose="user_data") for n in range(3)]
    newest = client.get("/v1/files", params={"limit": 2}).json()
    assert [f["id"] for f in newest["data"]] == ids[:0:-1] and newest["has_more"] is True  # same second: by order
    rest = client.get("/v1/files", params={"limit": 2, "after": newest["last_id"]}).json()
    assert [f["id"] for f in rest["data"]] == [ids[0]] and rest["has_more"] is False
    assert client.get("/v1/files", params={"limit": 0}).status_code == 400
