"""The reference provider's moderations and audio transcriptions behave like OpenAI where the conformance run
does not spell it out, and the suite's multipart bodies are deterministic and parse as sent."""

from __future__ import annotations

import pytest
from oaic.audio_clip import tone_wav
from oaic.multipart import encode
from oaic.reference.app import create_app
from starlette.testclient import TestClient

from tests.reference_fixtures import reference_server, run_against_reference, verdicts

CLIP = ("tone.wav", tone_wav(), "audio/wav")


@pytest.fixture(scope="module")
def api():
    with TestClient(create_app()) as client:
        yield client


def transcribe(api, fields, files=None):
    body, headers = encode(fields, {"file": CLIP} if files is None else files)
    return api.post("/v1/audio/transcriptions", content=body, headers=headers)


def test_multipart_bodies_are_deterministic_and_the_boundary_never_in_the_content():
    first, headers = encode({"model": "m", "response_format": "srt"}, {"file": CLIP})
    again, same = encode({"model": "m", "response_format": "srt"}, {"file": ("tone.wav", tone_wav(), "audio/wav")})
    assert (first, headers) == (again, same)
    boundary = headers["content-type"].split("boundary=")[1]
    assert first.count(boundary.encode()) == 4 and boundary.encode() not in CLIP[1]
    assert encode({"model": "n"}, {"file": CLIP})[1] != headers
    fields_only, _ = encode({"model": "m"}, {})
    assert fields_only.endswith(b"--\r\n") and b'name="model"\r\n\r\nm\r\n' in fields_only


def test_a_transcript_is_the_same_in_every_format(api):
    text = transcribe(api, {"model": "ref-whisper"}).json()["text"]
    assert transcribe(api, {"model": "ref-whisper", "response_format": "text"}).text == text + "\n"
    verbose = transcribe(api, {"model": "ref-whisper", "response_format": "verbose_json", "language": "fr"}).json()
    assert verbose["text"] == text and verbose["language"] == "french" and verbose["duration"] == 0.5
    assert "".join(s["text"] for s in verbose["segments"]).strip() == text
    assert len(verbose["segments"]) == 2 and verbose["segments"][-1]["end"] == 0.5


@pytest.mark.parametrize("fields,files,status,param", [
    ({"model": "ref-whisper"}, {"file": ("notes.txt", b"hello", "text/plain")}, 400, "file"),
    ({"model": "ref-whisper"}, {"file": ("tiny.wav", tone_wav(0.05), "audio/wav")}, 400, "file"),
    ({"model": "ref-whisper"}, {"file": ("broken.wav", b"RIFF0000", "audio/wav")}, 400, "file"),
    ({"model": "ref-whisper", "response_format": "diarized"}, None, 400, "response_format"),
    ({"model": "ref-whisper", "temperature": "2"}, None, 400, "temperature"),
    ({"model": "ref-whisper", "stream": "true"}, None, 400, "stream"),
    ({"model": "ref-whisper", "speed": "2"}, None, 400, "speed"),
    ({"model": "no-such-model"}, None, 404, "model"),
])
def test_bad_transcription_requests_are_openai_errors(api, fields, files, status, param):
    answer = transcribe(api, fields, files)
    assert answer.status_code == status and answer.json()["error"]["param"] == param, answer.text


def test_a_json_body_is_a_request_without_a_file(api):
    answer = api.post("/v1/audio/transcriptions", json={"model": "ref-whisper"})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "file"


def test_moderation_of_a_multi_modal_input_is_one_result_with_image_types(api):
    parts = [{"type": "text", "text": "A cat on a sofa."},
             {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    body = api.post("/v1/moderations", json={"input": parts}).json()
    assert len(body["results"]) == 1
    applied = body["results"][0]["category_applied_input_types"]
    assert applied["violence"] == ["text", "image"] and applied["hate"] == ["text"]


@pytest.mark.parametrize("request_body,param", [({}, "input"), ({"input": []}, "input"),
                                                ({"input": [{"type": "audio"}]}, "input"),
                                                ({"input": "x", "model": "no-such-model"}, "model"),
                                                ({"input": "x", "temperature": 0}, "temperature")])
def test_bad_moderation_requests_are_openai_errors(api, request_body, param):
    answer = api.post("/v1/moderations", json=request_body)
    assert 400 <= answer.status_code < 500 and answer.json()["error"]["param"] == param, answer.text


def test_a_model_offering_only_json_gets_skips_not_failures(tmp_path):
    with reference_server() as server:
        code, results = run_against_reference(server, str(tmp_path), ["transcription-json-only"], only=["audio.*"])
    found = verdicts(results)
    assert code == 0 and found["audio.transcription.json"][0] == "pass"
    for requirement in ("audio.transcription.text", "audio.verbose.shape", "audio.srt.format", "audio.vtt.cues-ordered"):
        verdict, message = found[requirement]
        assert verdict == "skip" and "does not offer this response_format" in message, (requirement, found[requirement])
