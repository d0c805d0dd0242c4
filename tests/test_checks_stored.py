"""Stored-completion checks on OpenAI's real answers (a creation with store true, its retrieve and messages list,
a list object) and on the ways a provider can lose, alter or keep what it stored."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from oaic.checks import stored
from oaic.exchange import Exchange
from oaic.findings import skipped

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLETION_ID = "chatcmpl-BExCS9klYoBcOyRFOcwsVmHnHCd8a"
SENT = [{"role": "user", "content": "What's the weather like in Boston today?"}]  # seed 000, "chat function demo"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


CREATION = fixture("stored/openai_creation.json")
RETRIEVED = fixture("openai/stored_completion.json")
MESSAGES = fixture("openai/stored_messages.json")
NOT_FOUND = {"error": {"message": f"Chat completion with id '{COMPLETION_ID}' not found.",
                       "type": "invalid_request_error", "param": None, "code": None}}


def get(body, status=200, path=f"/chat/completions/{COMPLETION_ID}", **kw) -> Exchange:
    return Exchange.from_parts(method="GET", path=path, status=status, body=body, **kw)


def listing(*ids: str) -> Exchange:
    return get({"object": "list", "data": [{"id": i} for i in ids], "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None, "has_more": False}, path="/chat/completions?metadata[k]=v")


# -- create -------------------------------------------------------------------------------------------------
def test_openai_creation_with_store_passes():
    assert_passes(stored.created(Exchange.from_parts(body=CREATION)), "stored.create.accepted")
    assert stored.completion_id(Exchange.from_parts(body=CREATION)) == COMPLETION_ID


@pytest.mark.parametrize("status, body, text", [
    (400, {"error": {"message": "Unrecognized request argument supplied: store", "type": "invalid_request_error",
                     "param": None, "code": None}}, "answered HTTP 400"),
    (200, {**CREATION, "id": ""}, 'id is "", expected a non-empty string'),
    (200, {**CREATION, "object": "chat.completion.stored"}, 'object is "chat.completion.stored"'),
])
def test_a_refused_or_broken_creation_fails(status, body, text):
    assert_fails(stored.created(Exchange.from_parts(status=status, body=body)), "stored.create.accepted", text)


# -- retrieve -----------------------------------------------------------------------------------------------
def test_openai_retrieve_matches_its_creation():
    assert_passes(stored.retrieved(get(RETRIEVED), CREATION), "stored.retrieve.same")


def changed(body: dict, *path, value) -> dict:
    out = copy.deepcopy(body)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("body, text", [
    (changed(RETRIEVED, "id", value="chatcmpl-other"), 'id is "chatcmpl-other"'),
    (changed(RETRIEVED, "model", value="gpt-4o-mini"), 'model is "gpt-4o-mini", the creation returned'),
    (changed(RETRIEVED, "choices", 0, "message", "content", value="It is sunny."),
     'choices/0/message/content is "It is sunny.", the creation returned null'),
    (changed(RETRIEVED, "choices", 0, "finish_reason", value="stop"), "choices/0/finish_reason"),
    (changed(RETRIEVED, "choices", value=[]), "choices is []"),
    (changed(RETRIEVED, "object", value="chat.completion.stored"), 'object is "chat.completion.stored"'),
])
def test_a_retrieve_that_differs_from_the_creation_fails(body, text):
    assert_fails(stored.retrieved(get(body), CREATION), "stored.retrieve.same", text)


def test_a_stored_completion_that_cannot_be_found_fails():
    assert_fails(stored.retrieved(get(NOT_FOUND, 404), CREATION), "stored.retrieve.same",
                 "for a completion created with store: true answered HTTP 404")


def test_retrieve_after_update_shows_the_new_metadata():
    metadata = {"oaic_run": "r1", "oaic_state": "updated"}
    assert_passes(stored.retrieved(get({**RETRIEVED, "metadata": metadata}), CREATION, metadata),
                  "stored.update.metadata")
    findings = stored.retrieved(get(RETRIEVED), CREATION, metadata)  # the seed's metadata is {}
    assert_fails(findings, "stored.update.metadata", 'shows metadata {}, without {"oaic_run": "r1"')


# -- update -------------------------------------------------------------------------------------------------
METADATA = {"oaic_run": "r1", "oaic_state": "updated"}


def update_answer(body, status=200) -> Exchange:
    return Exchange.from_parts(path=f"/chat/completions/{COMPLETION_ID}", status=status, body=body)


def test_an_update_answering_the_updated_completion_passes():
    assert_passes(stored.updated(update_answer({**RETRIEVED, "metadata": METADATA}), COMPLETION_ID, METADATA),
                  "stored.update.metadata")


@pytest.mark.parametrize("status, body, text", [
    (200, RETRIEVED, "metadata is {}, without"),
    (200, {**RETRIEVED, "metadata": {"oaic_state": "updated"}}, 'without {"oaic_run": "r1"}'),
    (200, {**RETRIEVED, "metadata": METADATA, "id": "chatcmpl-x"}, 'id is "chatcmpl-x"'),
    (200, {"updated": True}, "metadata is"),
    (404, NOT_FOUND, "answered HTTP 404"),
    (405, {"detail": "Method Not Allowed"}, "expected 200 with the updated chat.completion"),
])
def test_an_update_that_is_not_applied_fails(status, body, text):
    assert_fails(stored.updated(update_answer(body, status), COMPLETION_ID, METADATA), "stored.update.metadata",
                 text)


# -- list filters -------------------------------------------------------------------------------------------
def test_the_seed_list_lists_its_completion():
    ex = get(fixture("stored/openai_list.json"), path="/chat/completions?model=gpt-5.4")
    assert_passes(stored.listed([ex], ["chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2"], "stored.list.filter-model",
                                "model=gpt-5.4"), "stored.list.filter-model")


@pytest.mark.parametrize("requirement", ["stored.list.filter-metadata", "stored.list.filter-model"])
def test_a_filtered_list_lacking_a_matching_completion_fails(requirement):
    findings = stored.listed([listing("a")], ["a", "b"], requirement, "model=m")
    assert_fails(findings, requirement, 'the list filtered by model=m lacks ["b"]')


def test_a_list_that_is_not_a_list_is_not_judged():
    findings = stored.listed([get({"detail": "Not Found"}, 404)], ["a"], "stored.list.filter-model", "model=m")
    assert [f.verdict for f in findings] == ["skip"]


def test_filter_by_the_updated_pair():
    findings = stored.filtered_by_updated_metadata(listing("a"), "a", ["b"], "metadata[oaic_state]=updated")
    assert_passes(findings, "stored.list.filter-metadata")
    assert_passes(findings, "stored.update.metadata")


def test_an_ignored_metadata_filter_fails():
    findings = stored.filtered_by_updated_metadata(listing("a", "b"), "a", ["b"], "metadata[oaic_state]=updated")
    assert_fails(findings, "stored.list.filter-metadata", 'includes ["b"], whose metadata lacks that pair')


def test_an_update_the_list_does_not_see_fails():
    findings = stored.filtered_by_updated_metadata(listing(), "a", ["b"], "metadata[oaic_state]=updated")
    assert_fails(findings, "stored.update.metadata", "the list filtered by it does not include it")
    assert not [f for f in findings if f.requirement == "stored.list.filter-metadata"]  # an empty list shows nothing


def test_a_metadata_filter_that_misses_everything_leaves_the_update_unjudged():
    findings = stored.filtered_by_updated_metadata(listing(), "a", ["b"], "metadata[oaic_state]=updated",
                                                   filter_lists_ours=False)
    assert [(f.requirement, f.verdict) for f in findings] == [("stored.update.metadata", "skip")]


# -- delete -------------------------------------------------------------------------------------------------
def delete_answer(body, status=200) -> Exchange:
    return Exchange.from_parts(method="DELETE", path=f"/chat/completions/{COMPLETION_ID}", status=status, body=body)


def test_openai_deletion_object_passes():
    body = {"object": "chat.completion.deleted", "id": COMPLETION_ID, "deleted": True}
    assert_passes(stored.deleted(delete_answer(body), COMPLETION_ID), "stored.delete.response")


@pytest.mark.parametrize("status, body, text", [
    (200, {"object": "chat.completion.deleted", "id": COMPLETION_ID, "deleted": False}, "deleted is false"),
    (200, {"id": COMPLETION_ID, "deleted": True}, "object is missing"),
    (200, {"deleted": True, "object": "chat.completion.deleted"}, "id is missing"),
    (204, "", "answered HTTP 204"),
    (404, NOT_FOUND, "answered HTTP 404"),
])
def test_a_deletion_answer_not_in_openai_shape_fails(status, body, text):
    assert_fails(stored.deleted(delete_answer(body, status), COMPLETION_ID), "stored.delete.response", text)


def test_gone_after_delete():
    assert_passes(stored.gone(get(NOT_FOUND, 404)), "stored.delete.gone")
    assert_fails(stored.gone(get(RETRIEVED)), "stored.delete.gone", "after deleting it answered HTTP 200")
    assert_fails(stored.gone(get({"detail": "Not Found"}, 404)), "stored.delete.gone", "no 'error' object")
    assert_fails(stored.gone(get({}, 500)), "stored.delete.gone", "expected 404")


# -- messages -----------------------------------------------------------------------------------------------
def messages_page(body, status=200) -> Exchange:
    return get(body, status, path=f"/chat/completions/{COMPLETION_ID}/messages?limit=2")


def test_openai_messages_list_passes():
    assert_passes(stored.messages([messages_page(MESSAGES)], SENT), "stored.messages.list")


def test_a_trailing_reply_in_the_messages_list_is_tolerated():
    body = copy.deepcopy(MESSAGES)
    body["data"].append({"id": f"{COMPLETION_ID}-1", "role": "assistant", "content": None})
    assert_passes(stored.messages([messages_page(body)], SENT), "stored.messages.list")


@pytest.mark.parametrize("change, text", [
    (lambda m: m.update(content="Weather in Boston?"), 'message 0 is {"content": "Weather in Boston?"'),
    (lambda m: m.update(role="assistant"), '"role": "assistant"'),
    (lambda m: m.pop("id"), "message 0 has id null, expected a string"),
])
def test_a_messages_list_that_differs_from_the_request_fails(change, text):
    body = copy.deepcopy(MESSAGES)
    change(body["data"][0])
    assert_fails(stored.messages([messages_page(body)], SENT), "stored.messages.list", text)


def test_messages_missing_from_the_list_fail():
    two = SENT + [{"role": "user", "content": "And tomorrow?"}]
    assert_fails(stored.messages([messages_page(MESSAGES)], two), "stored.messages.list",
                 "only 1 messages listed, the request had 2")


def test_messages_in_the_wrong_order_across_pages_fail():
    first, second = copy.deepcopy(MESSAGES), copy.deepcopy(MESSAGES)
    second["data"][0].update(id=f"{COMPLETION_ID}-1", content="And tomorrow?")
    sent = [{"role": "user", "content": "And tomorrow?"}, SENT[0]]
    assert_fails(stored.messages([messages_page(first), messages_page(second)], sent), "stored.messages.list",
                 "message 0 is")


def test_a_missing_messages_endpoint_fails():
    assert_fails(stored.messages([messages_page({"detail": "Not Found"}, 404)], SENT), "stored.messages.list",
                 "answered HTTP 404")


# -- the scenario waits for eventually consistent storage, and accepts either model name in the filter ----------
class ScriptedApi:
    """Stands in for the transport: ``answer(method, path, params, json)`` gives each answer; sleeping is free."""

    def __init__(self, answer):
        self.answer = answer
        self.sent: list[tuple[str, str, dict]] = []

    def _send(self, method, path, params=None, json=None, **_):
        self.sent.append((method, path, params or {}))
        status, body = self.answer(method, path, params or {}, json)
        return Exchange.from_parts(method, path, request_json=json, status=status, body=body)

    def get(self, path, **kw):
        return self._send("GET", path, **kw)

    def post(self, path, **kw):
        return self._send("POST", path, **kw)

    def delete(self, path, **kw):
        return self._send("DELETE", path, **kw)

    def sleep(self, seconds):
        pass


class Collected:
    """Stands in for the ``verdicts`` fixture."""

    def __init__(self, covered=()):
        self.covered = set(covered)
        self.findings = []

    def extend(self, findings):
        self.findings += [f for f in findings if f is not None]

    def skip(self, requirements, reason):
        self.findings += [skipped(r, reason) for r in requirements]


def scripted_run(answer, created_model="gpt-4o-mini-2024-07-18", asked_model="gpt-4o-mini"):
    from oaic.scenarios import test_stored as scenario

    run = scenario.StoredRun(ScriptedApi(answer), asked_model, "tag")
    for item in ("a", "b"):
        body = {**CREATION, "id": f"{COMPLETION_ID}{item}", "model": created_model}
        run.creations.append(Exchange.from_parts(request_json={"model": asked_model}, body=body))
    return scenario, run


def lagging(settled_after, before, after):
    """Answers ``before`` to the first ``settled_after`` requests, ``after`` from then on."""
    count = {"n": 0}

    def answer(*_):
        count["n"] += 1
        return after if count["n"] > settled_after else before

    return answer


def test_an_update_that_shows_a_moment_later_passes_one_that_never_does_fails():
    updated = {**CREATION, "id": f"{COMPLETION_ID}a", "metadata": {"oaic_run": "tag", "oaic_item": "a",
                                                                    "oaic_state": "updated"}}
    scenario, run = scripted_run(lagging(1, (404, NOT_FOUND), (200, updated)))
    verdicts = Collected()
    scenario.test_update_metadata(run, verdicts)
    assert_passes(verdicts.findings, "stored.update.metadata")
    scenario, run = scripted_run(lagging(99, (404, NOT_FOUND), (200, updated)))
    verdicts = Collected()
    scenario.test_update_metadata(run, verdicts)
    assert_fails(verdicts.findings, "stored.update.metadata", "answered HTTP 404")


def test_a_filtered_list_that_shows_the_update_a_moment_later_passes():
    ours = listing(f"{COMPLETION_ID}a").json()
    scenario, run = scripted_run(lagging(1, (200, {**ours, "data": [], "first_id": None, "last_id": None}),
                                         (200, ours)))
    run.updated_metadata = {"oaic_state": "updated"}
    verdicts = Collected()
    scenario.test_list_filtered_by_updated_metadata(run, verdicts)
    assert_passes(verdicts.findings, "stored.update.metadata")


def test_a_delete_that_shows_a_moment_later_passes_one_that_never_does_fails():
    def answer(settle_after):
        reads = {"n": 0}

        def respond(method, path, params, json):
            if method == "DELETE":
                return 200, {"object": "chat.completion.deleted", "id": path.rsplit("/", 1)[1], "deleted": True}
            reads["n"] += 1
            return (404, NOT_FOUND) if reads["n"] > settle_after else (200, RETRIEVED)
        return respond

    scenario, run = scripted_run(answer(1))
    verdicts = Collected()
    scenario.test_delete_then_gone(run, verdicts)
    assert_passes(verdicts.findings, "stored.delete.gone")
    scenario, run = scripted_run(answer(99))
    verdicts = Collected()
    scenario.test_delete_then_gone(run, verdicts)
    assert_fails(verdicts.findings, "stored.delete.gone", "after deleting it answered HTTP 200")


def test_the_model_filter_may_match_the_model_asked_for_instead_of_the_snapshot_reported():
    both = listing(f"{COMPLETION_ID}a", f"{COMPLETION_ID}b").json()
    empty = {**both, "data": [], "first_id": None, "last_id": None}

    def by_alias(method, path, params, json):
        return 200, both if params.get("model") == "gpt-4o-mini" else empty

    scenario, run = scripted_run(by_alias)
    verdicts = Collected()
    scenario.test_list_filtered_by_model(run, verdicts)
    assert_passes(verdicts.findings, "stored.list.filter-model")
    assert [p.get("model") for _, _, p in run.api.sent] == ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"]
    scenario, run = scripted_run(lambda *_: (200, empty))
    verdicts = Collected()
    scenario.test_list_filtered_by_model(run, verdicts)
    assert_fails(verdicts.findings, "stored.list.filter-model", "model=gpt-4o-mini-2024-07-18 or model=gpt-4o-mini")
