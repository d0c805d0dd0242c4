"""OpenAI's official document: reading, normalization, the cache, and the drift check against the profile.
Small made-up documents show each rule; the real document (../shared/spec beside the clone) shows the whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oaic.cli import main
from oaic.errors import UsageError
from oaic.official import cache as cache_module
from oaic.official import load_official
from oaic.official.diff import Decisions, drift
from oaic.official.normalize import normalize
from oaic.official.source import parse, read_source
from oaic.profile import Document, profile

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = ROOT.parent / "shared" / "spec" / "openai-openapi.json"
OPENAI = ROOT / "tests" / "fixtures" / "openai"
needs_official = pytest.mark.skipif(not OFFICIAL.is_file(),
                                    reason="the official document (../shared/spec/openai-openapi.json) is not beside "
                                           "the clone")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OAIC_CACHE_DIR", str(tmp_path / "cache"))


def small_document(**schemas):
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/chat/completions": {"post": {"operationId": "createChatCompletion", "responses": {"200": {
            "description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Chunk"}},
                "text/event-stream": {"schema": {"$ref": "#/components/schemas/Chunk"}}}}}}},
        "/responses": {"post": {"operationId": "createResponse", "responses": {"200": {
            "description": "ok", "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/Chunk"}}}},
            "404": {"description": "kept as documented"}}}},
        "/responses?beta=true": {"post": {"operationId": "createResponseBeta", "responses": {}}}},
        "components": {"schemas": {"Chunk": {"type": "object"}, **schemas}}}


# -- normalization ----------------------------------------------------------------------------------------
def test_nullable_becomes_31_null_types():
    doc = small_document(
        Plain={"type": "string", "nullable": True},
        Enum={"type": "string", "enum": ["stop", "length"], "nullable": True},
        Ref={"$ref": "#/components/schemas/Plain", "nullable": True, "description": "kept"},
        Union={"oneOf": [{"type": "string"}, {"type": "array"}], "nullable": True},
        Anything={"nullable": True, "description": "no constraint"},
        NotNull={"type": "string", "nullable": False})
    report = normalize(doc)
    schemas = doc["components"]["schemas"]
    assert schemas["Plain"] == {"type": ["string", "null"]}
    assert schemas["Enum"]["type"] == ["string", "null"] and schemas["Enum"]["enum"] == ["stop", "length", None]
    assert schemas["Ref"] == {"description": "kept", "anyOf": [{"$ref": "#/components/schemas/Plain"}, {"type": "null"}]}
    assert schemas["Union"]["anyOf"][1] == {"type": "null"} and "oneOf" in schemas["Union"]["anyOf"][0]
    assert schemas["Anything"] == {"description": "no constraint"} and schemas["NotNull"] == {"type": "string"}
    assert report.nullable_rewritten == 5
    validator = Document(doc, "urn:test:nullable")
    assert validator.schema_errors("Enum", None) == [] and validator.schema_errors("Ref", None) == []


def test_30_style_bounds_and_duplicate_required_are_fixed():
    doc = small_document(N={"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 2,
                            "exclusiveMaximum": False, "required": ["a", "a", "b"]})
    report = normalize(doc)
    assert doc["components"]["schemas"]["N"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 2,
                                                 "required": ["a", "b"]}
    assert report.exclusive_bounds == 2 and report.duplicate_required == 1


def test_discriminator_mappings_are_inferred_from_const_and_enum():
    doc = small_document(
        Text={"type": "object", "properties": {"type": {"type": "string", "enum": ["text"]}}},
        Image={"allOf": [{"$ref": "#/components/schemas/Base"},
                         {"properties": {"type": {"const": "image_url"}}}]},
        Base={"type": "object"},
        Part={"oneOf": [{"$ref": "#/components/schemas/Text"}, {"$ref": "#/components/schemas/Image"}],
              "discriminator": {"propertyName": "type"}},
        Opaque={"oneOf": [{"type": "object"}], "discriminator": {"propertyName": "type"}})
    report = normalize(doc)
    assert doc["components"]["schemas"]["Part"]["discriminator"]["mapping"] == {
        "text": "#/components/schemas/Text", "image_url": "#/components/schemas/Image"}
    assert report.mappings_inferred == 1 and report.discriminators_unmapped == ["#/components/schemas/Opaque"]


def test_errors_are_documented_streams_described_per_event_and_beta_paths_dropped():
    doc = small_document()
    report = normalize(doc)
    assert "/responses?beta=true" not in doc["paths"] and report.beta_paths_dropped == 1
    document = Document(doc, "urn:test:ops")
    chat, responses = document.operation("createChatCompletion"), document.operation("createResponse")
    assert {"400", "401", "403", "404", "429", "500", "503"} <= chat.documented_statuses()
    assert chat.response(400)["application/json"].pointer == "/components/schemas/ErrorResponse"
    assert responses.response(404) == {}  # what the document says stays as it is
    stream = chat.response(200)["text/event-stream"]
    assert stream.per_event and stream.done_allowed and stream.pointer == "/components/schemas/Chunk"
    assert not responses.response(200)["text/event-stream"].done_allowed
    assert report.streams_described_per_event == 2
    assert document.schema_errors("ErrorResponse", {"error": {"message": "m", "type": "t", "param": None,
                                                              "code": None}}) == []


def test_yaml_and_json_read_alike_and_dates_stay_strings(tmp_path):
    doc = small_document(Dated={"type": "object", "example": {"version": "2025-01-01"}})
    yaml_text = "openapi: 3.1.0\npaths: {}\ncomponents:\n  schemas:\n    D:\n      example: {version: 2025-01-01}\n"
    assert parse(yaml_text.encode())["components"]["schemas"]["D"]["example"]["version"] == "2025-01-01"
    assert parse(json.dumps(doc).encode()) == doc


def test_unreadable_or_foreign_documents_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="cannot read the OpenAPI document"):
        read_source(str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match="not an OpenAPI 3 document"):
        parse(b'{"swagger": "2.0", "paths": {}}', "old.json")
    with pytest.raises(UsageError, match="neither JSON nor YAML"):
        parse(b"{ not json", "broken.json")


def test_the_normalized_document_is_cached_by_content(tmp_path, monkeypatch):
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(small_document(Plain={"type": "string", "nullable": True})))
    first = load_official(str(source))
    assert first.schema_errors("Plain", None) == []
    assert len(list(cache_module.cache_dir().glob("openapi-*.json"))) == 1

    def no_normalization(*args):
        raise AssertionError("normalized again although the content did not change")

    monkeypatch.setattr(cache_module, "normalize_source", no_normalization)
    assert load_official(str(source)).data == first.data
    source.write_text(json.dumps(small_document(Other={"type": "integer"})))
    with pytest.raises(AssertionError, match="normalized again"):
        load_official(str(source))  # new content, new key


def test_an_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("OAIC_CACHE_DIR", str(blocker / "sub"))
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(small_document()))
    assert load_official(str(source)).operation("createChatCompletion")


# -- drift check ------------------------------------------------------------------------------------------
def two_documents(mine: dict, theirs: dict) -> tuple[Document, Document]:
    base = {"openapi": "3.1.0", "paths": {}}
    return (Document({**base, "components": {"schemas": mine}}, "urn:test:mine"),
            Document({**base, "components": {"schemas": theirs}}, "urn:test:theirs"))


def test_drift_finds_every_kind_of_difference():
    mine, theirs = two_documents(
        {"Core": {"type": "object", "required": ["id", "extra"], "properties": {
            "id": {"type": "string"}, "extra": {"type": "integer"}, "count": {"type": ["integer", "null"]},
            "kind": {"enum": ["a", "b"]}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
         "Item": {"type": "object", "properties": {"v": {"type": "number"}}}},
        {"Core": {"type": "object", "required": ["id", "count"], "properties": {
            "id": {"type": "integer"}, "count": {"type": "integer"}, "kind": {"enum": ["a", "c"]},
            "missing": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
         "Item": {"type": "object", "properties": {"v": {"type": "string"}}}})
    report = drift(mine, theirs, Decisions(core=["Core"]))
    found = {(d.schema, d.path, d.kind) for d in report.differences}
    assert found == {("Core", "id", "type"), ("Core", "extra", "extra-field"), ("Core", "missing", "missing-field"),
                     ("Core", "count", "nullable"), ("Core", "count", "required-missing"),
                     ("Core", "extra", "required-extra"), ("Core", "kind", "enum"), ("Item", "v", "type")}
    assert report.core == {"Core", "Item"}  # Item is referenced by a core schema
    assert len(report.unrecorded_core()) == 8


def test_recorded_differences_pass_and_stale_ones_are_named():
    mine, theirs = two_documents({"Core": {"type": "object", "properties": {"a": {"type": ["string", "null"]}}}},
                                 {"Core": {"type": "object", "properties": {"a": {"type": "string"}}}})
    decisions = Decisions.load("core: [Core]\ndifferences:\n"
                               "  - {schema: Core, path: a, kind: nullable, reason: clients send null}\n"
                               "  - {schema: Core, path: gone, kind: type, reason: was once different}\n")
    report = drift(mine, theirs, decisions)
    assert report.unrecorded_core() == []
    assert [e.path for e in report.stale()] == ["gone"]
    assert any(line.startswith("stale") for line in report.lines())
    with pytest.raises(ValueError, match="no reason"):
        Decisions.load("differences:\n  - {schema: A, path: b, kind: type, reason: ''}\n")
    with pytest.raises(ValueError, match="unknown kind"):
        Decisions.load("differences:\n  - {schema: A, path: b, kind: typo, reason: why}\n")


def test_every_recorded_difference_names_a_profile_schema():
    decisions = Decisions.load()
    names = set(profile().schema_names())
    assert decisions.core and set(decisions.core) <= names
    for schema, _, _ in decisions.entries:
        assert schema in names


def test_spec_diff_fails_on_an_unrecorded_core_difference(tmp_path, capsys):
    official = small_document(Model={"type": "object", "required": ["id", "object", "created", "owned_by", "vendor"],
                                     "properties": {"id": {"type": "string"}, "object": {"enum": ["model"]},
                                                    "created": {"type": "integer"}, "owned_by": {"type": "string"},
                                                    "vendor": {"type": "string"}}})
    path = tmp_path / "official.json"
    path.write_text(json.dumps(official))
    assert main(["spec", "diff", "--official", str(path)]) == 1
    out = capsys.readouterr()
    assert "CORE       Model.vendor  missing-field" in out.out and "not recorded" in out.err
    assert main(["spec", "diff", "--official", str(tmp_path / "nope.json")]) == 2


# -- the real document ------------------------------------------------------------------------------------
@needs_official
def test_spec_diff_against_the_official_document_passes(capsys):
    assert main(["spec", "diff", "--official", str(OFFICIAL)]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert "0 core differences not recorded" in summary


@needs_official
def test_spec_normalize_writes_a_usable_document(tmp_path, capsys):
    out = tmp_path / "normalized.json"
    assert main(["spec", "normalize", "--official", str(OFFICIAL), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nullable rewritten" in printed and "?beta=true paths dropped: 6" in printed
    document = Document(json.loads(out.read_text()), "urn:test:normalized")
    assert not any("?" in path for path in document.data["paths"])


@needs_official
def test_the_normalized_official_document_accepts_what_openai_sends():
    official = load_official(str(OFFICIAL))
    chat = official.operation("createChatCompletion")
    assert chat.response(200)["application/json"].pointer == "/components/schemas/CreateChatCompletionResponse"
    assert official.schema_errors("CreateChatCompletionResponse",
                                  json.loads((OPENAI / "chat_completion_wire.json").read_text())) == []
    stream = chat.response(200)["text/event-stream"]
    first_chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "usage": None,
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                                "finish_reason": None}]}
    assert official.schema_errors(stream.pointer, first_chunk) == []  # null finish_reason: the nullable fix
    assert official.schema_errors("ErrorResponse", {"error": {"message": "m", "type": "invalid_request_error",
                                                              "param": None, "code": None}}) == []
    assert "400" in chat.documented_statuses()


def test_run_refuses_a_bad_spec_or_examples_before_sending(tmp_path, capsys):
    """No server listens on port 9: a usage error must come before the preflight would fail."""
    assert main(["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--spec", str(tmp_path / "no.json")]) == 2
    assert "cannot read the OpenAPI document" in capsys.readouterr().err
    assert main(["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--examples", "none"]) == 2
    assert "--examples must be an integer" in capsys.readouterr().err
