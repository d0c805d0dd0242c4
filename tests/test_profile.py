"""The project's OpenAPI profile (spec/openapi.yaml) is a valid OpenAPI 3.1 document that keeps its own
conventions, and OpenAI's real answers validate against it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from oaic.exchange import Exchange
from oaic.profile import Document, profile, schema_errors

ROOT = Path(__file__).resolve().parent.parent
OPENAI = ROOT / "tests" / "fixtures" / "openai"
SEEDS = ROOT.parent / "shared" / "seeds"
ERROR_STATUSES = {"400", "401", "403", "404", "429", "500", "503"}
# The names the checks rely on: renaming one breaks them.
CHECKED_SCHEMAS = ("CreateChatCompletionResponse", "CreateChatCompletionStreamResponse", "ChatCompletionResponseMessage",
                   "ChatCompletionMessageToolCall", "CompletionUsage", "Model", "ListModelsResponse", "Error",
                   "ErrorResponse", "ChatCompletionTokenLogprob")
CLOSED_REQUESTS = ("CreateChatCompletionRequest", "CreateCompletionRequest", "CreateEmbeddingRequest", "CreateResponse",
                   "UpdateChatCompletionRequest")


def walk(node, where="#"):
    if isinstance(node, dict):
        yield node, where
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}/{i}")


def test_the_profile_is_a_valid_openapi_31_document():
    """The OpenAPI 3.1 schema for the document's structure, the JSON Schema 2020-12 meta-schema for every schema
    in it (with jsonschema-rs: openapi-spec-validator takes seconds for the same), and the rules neither states:
    unique operationIds, path templates matching path parameters."""
    rs = pytest.importorskip("jsonschema_rs")
    spec_validator = pytest.importorskip("openapi_spec_validator")
    from importlib import resources

    document = profile().data
    assert document["openapi"] == "3.1.0"
    oas = json.loads(resources.files(spec_validator).joinpath("resources/schemas/v3.1/schema.json").read_text())
    assert [e.message for e in rs.validator_for(oas).iter_errors(document)] == []
    meta = rs.validator_for({"$ref": "https://json-schema.org/draft/2020-12/schema"})
    schemas = {**document["components"]["schemas"],
               **{where: node["schema"] for node, where in walk(document["paths"]) if isinstance(node.get("schema"), dict)}}
    assert [e.message for e in meta.iter_errors({"$defs": schemas})] == []
    ids = [op.id for op in profile()._iter_operations()]
    assert len(ids) == len(set(ids))
    for operation in profile().operations().values():
        declared = {p["name"] for p in operation.parameters() if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", operation.path)), operation.id


def test_every_reference_resolves():
    document = profile()
    refs = [(node["$ref"], where) for node, where in walk(document.data) if isinstance(node.get("$ref"), str)]
    assert len(refs) > 100
    for ref, where in refs:
        assert ref.startswith("#/"), f"{where}: only local references, got {ref}"
        document.at(ref[1:])  # KeyError names the broken reference


def test_no_openapi_30_leftovers():
    for node, where in walk(profile().data):
        assert "nullable" not in node or not isinstance(node["nullable"], bool), f"{where}: nullable is 3.0"
        assert not isinstance(node.get("exclusiveMinimum"), bool), f"{where}: boolean exclusiveMinimum is 3.0"


def test_every_discriminator_has_an_explicit_mapping_that_matches_the_branches():
    document = profile()
    discriminators = [(node, where) for node, where in walk(document.data) if isinstance(node.get("discriminator"), dict)]
    assert len(discriminators) >= 6
    for node, where in discriminators:
        prop, mapping = node["discriminator"]["propertyName"], node["discriminator"].get("mapping")
        assert mapping, f"{where}: discriminator without mapping"
        for value, ref in mapping.items():
            target = document.at(ref[1:])
            assert any(b.get("$ref") == ref for b in node.get("oneOf", [])), f"{where}: {ref} is not a branch"
            declared = target["properties"][prop]
            assert value == declared.get("const") or value in declared.get("enum", []), f"{where}: {value} -> {ref}"


def test_every_operation_documents_its_errors_with_the_error_body():
    operations = profile().operations()
    assert {"listModels", "retrieveModel", "createChatCompletion", "listChatCompletions", "getChatCompletion",
            "updateChatCompletion", "deleteChatCompletion", "getChatCompletionMessages", "createCompletion",
            "createEmbedding", "createResponse", "getResponse", "deleteResponse"} <= set(operations)
    for operation in operations.values():
        assert ERROR_STATUSES <= operation.documented_statuses(), operation.id
        for status in ERROR_STATUSES:
            contract = operation.response(int(status))["application/json"]
            assert contract.pointer == "/components/schemas/ErrorResponse", (operation.id, status)
        assert "default" not in operation.documented_statuses(), f"{operation.id}: 'default' documents every status"


def test_streams_are_described_per_event():
    document = profile()
    expected = {"createChatCompletion": ("CreateChatCompletionStreamResponse", True),
                "createCompletion": ("CreateCompletionResponse", True),
                "createResponse": ("ResponseStreamEvent", False)}
    for operation_id, (schema, done) in expected.items():
        contract = document.operation(operation_id).response(200)["text/event-stream"]
        assert contract.per_event and contract.pointer == f"/components/schemas/{schema}"
        assert contract.done_allowed is done


def test_request_bodies_are_closed_and_response_objects_open():
    schemas = profile().data["components"]["schemas"]
    for name in CLOSED_REQUESTS:
        assert schemas[name].get("additionalProperties") is False, name
    for name in CHECKED_SCHEMAS:
        assert "additionalProperties" not in schemas[name], f"{name}: providers may add fields"
    assert schema_errors("CreateChatCompletionRequest", {"model": "m", "messages": [{"role": "user", "content": "x"}],
                                                         "frobnicate": 1})
    assert not schema_errors("CreateChatCompletionRequest", {"model": "m", "messages": [{"role": "user", "content": "x"}],
                                                             "stream": True, "stream_options": {"include_usage": True},
                                                             "seed": 1, "stop": ["a"], "n": 2, "user": "u"})


def test_the_names_checks_rely_on_exist():
    names = profile().schema_names()
    for name in CHECKED_SCHEMAS:
        assert name in names
    with pytest.raises(KeyError, match="not in the document"):
        schema_errors("NoSuchSchema", {})


# -- OpenAI's real answers ---------------------------------------------------------------------------------
FIXTURES = [("chat_completion.json", "CreateChatCompletionResponse"),
            ("chat_completion_wire.json", "CreateChatCompletionResponse"),
            ("tool_call_completion.json", "CreateChatCompletionResponse"),
            ("stored_completion.json", "CreateChatCompletionResponse"),
            ("stored_messages.json", "ChatCompletionMessageList"),
            ("models_list.json", "ListModelsResponse"),
            ("model.json", "Model"),
            ("response.json", "Response")]


@pytest.mark.parametrize("name,schema", FIXTURES)
def test_real_openai_answers_validate(name, schema):
    assert schema_errors(schema, json.loads((OPENAI / name).read_text())) == []


def test_real_openai_stream_validates_per_event():
    contract = profile().operation("createChatCompletion").response(200)["text/event-stream"]
    ex = Exchange.from_parts(body=(OPENAI / "chat_stream.sse").read_text(), stream=True)
    events = ex.data_events()
    assert events[-1].is_done and contract.done_allowed
    for event in events[:-1]:
        assert profile().schema_errors(contract.pointer, event.json()) == []


def seed_objects() -> list[dict]:
    """Every JSON object the seed transcripts show as an answer: the SDK dumps between triple quotes, one object
    per block or one chunk per line."""
    text = (SEEDS / "000_ac0a09946d83ec47.txt").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r'"""\n(.*?)\n"""', text, flags=re.S):
        candidates = [block] if block.lstrip().startswith("{\n") else block.splitlines()
        for candidate in candidates:
            try:
                value = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


SCHEMA_OF_OBJECT = {"chat.completion": "CreateChatCompletionResponse",
                    "chat.completion.chunk": "CreateChatCompletionStreamResponse", "model": "Model",
                    "response": "Response"}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the shared seed transcripts (../shared/seeds) are not beside the clone")
def test_every_answer_in_the_seed_transcripts_validates():
    objects = seed_objects()
    judged = 0
    for value in objects:
        kind = value.get("object")
        if kind == "list":
            kind_schema = "ChatCompletionMessageList" if "has_more" in value else "ListModelsResponse"
        else:
            kind_schema = SCHEMA_OF_OBJECT.get(kind)
        if kind_schema is None:
            continue
        assert schema_errors(kind_schema, value) == [], (kind_schema, value.get("id"))
        judged += 1
    assert judged >= 15  # chat, 11 chunks, tool calls, stored completion, messages, models, model, response


def test_a_document_validates_with_its_own_references():
    doc = Document({"openapi": "3.1.0", "paths": {}, "components": {"schemas": {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "integer"}}}}, "urn:test:doc")
    assert doc.schema_errors("A", {"b": "x"}) == ["/b: 'x' is not of type 'integer'"]
    assert doc.schema_errors("/components/schemas/B", 3) == []
