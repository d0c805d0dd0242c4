"""Batch checks on batch objects in OpenAI's documented form (created, completed, cancelling) and on status
lifecycles, result files, lists, cancels and refusals that deviate from it."""

from __future__ import annotations

import copy
import email.utils
import json

import pytest
from oaic.checks import batches, common
from oaic.exchange import Exchange
from oaic.findings import FAIL, SKIP

from tests.helpers import assert_fails, assert_passes

REQUEST = {"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
NULL_TIMES = {key: None for key in ("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at",
                                    "expired_at", "cancelling_at", "cancelled_at")}
# As OpenAI documents them: the createBatch answer, a completed batch, the cancelBatch answer.
CREATED = {"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
           "input_file_id": "file-abc123", "completion_window": "24h", "status": "validating",
           "output_file_id": None, "error_file_id": None, "created_at": 1711471533, **NULL_TIMES,
           "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": {"customer_id": "user_123456789"}}
COMPLETED = {**CREATED, "status": "completed", "output_file_id": "file-cvaTdG", "error_file_id": "file-HOWS94",
             "in_progress_at": 1711471538, "expires_at": 1711557933, "finalizing_at": 1711493133,
             "completed_at": 1711493163, "request_counts": {"total": 2, "completed": 1, "failed": 1}}
CANCELLING = {**CREATED, "status": "cancelling", "in_progress_at": 1711471538, "expires_at": 1711557933,
              "cancelling_at": 1711475133, "request_counts": {"total": 100, "completed": 23, "failed": 1}}
ERROR = {"error": {"message": "Invalid value: '1h'. Supported values are: '24h'.", "type": "invalid_request_error",
                   "param": "completion_window", "code": "invalid_value"}}


def answer(body, status=200, method="GET", path="/batches/batch_abc123") -> Exchange:
    return Exchange.from_parts(method=method, path=path, status=status, body=body)


def creation(body, status=200) -> Exchange:
    return answer(body, status, method="POST", path="/batches")


# -- the batch object ---------------------------------------------------------------------------------------
def test_the_documented_creation_passes():
    findings = batches.created(creation(CREATED), REQUEST)
    for requirement in ("batches.create.accepted", *batches.OBJECT):
        assert_passes(findings, requirement)


@pytest.mark.parametrize("body", [COMPLETED, CANCELLING, {**CANCELLING, "status": "cancelled",
                                                         "cancelled_at": 1711475200}])
def test_documented_batches_in_later_states_pass(body):
    findings = batches.observed(answer(body))
    for requirement in batches.OBJECT:
        assert_passes(findings, requirement)


def test_a_refused_creation_fails():
    assert_fails(batches.created(creation(ERROR, 400), REQUEST), "batches.create.accepted", "answered HTTP 400")


@pytest.mark.parametrize("requirement, change, text", [
    ("batches.object.shape", {"object": "batch_job"}, 'object is "batch_job", expected "batch"'),
    ("batches.object.shape", {"endpoint": "/chat/completions"}, 'endpoint is "/chat/completions", the request gave'),
    ("batches.object.shape", {"created_at": "2024-03-26T16:45:33Z"}, "expected an integer in Unix seconds"),
    ("batches.object.id-prefix", {"id": "9c1e2f"}, 'does not start with "batch_"'),
    ("batches.status.documented", {"status": "queued"}, 'status is "queued", not one of validating'),
    ("batches.status.documented", {"status": None}, "status is null"),
    ("batches.status.timestamps", {"status": "in_progress"}, "status is in_progress but in_progress_at is null"),
    ("batches.status.timestamps", {"completed_at": 1711471600}, "status is validating but completed_at is set"),
    ("batches.status.timestamps", {"status": "in_progress", "in_progress_at": 1711471000},
     "in_progress_at (1711471000) is before created_at"),
    ("batches.request-counts", {"request_counts": {"total": 0, "completed": 2, "failed": 0}},
     "completed + failed exceeds total"),
    ("batches.request-counts", {"request_counts": {"total": 2, "completed": "2", "failed": 0}},
     "completed not a non-negative integer"),
])
def test_a_deviating_creation_fails(requirement, change, text):
    assert_fails(batches.created(creation({**CREATED, **change}), REQUEST), requirement, text)


def test_a_completed_batch_without_its_time_fails():
    assert_fails(batches.observed(answer({**COMPLETED, "completed_at": None})), "batches.status.timestamps",
                 "status is completed but completed_at is null")


def test_an_answer_that_is_not_a_batch_is_not_judged_as_one():
    assert batches.observed(answer(ERROR, 404)) == []


def test_retrieve_of_the_same_batch():
    assert_passes(batches.retrieved(answer(COMPLETED), CREATED), "batches.retrieve.same")
    assert_fails(batches.retrieved(answer({**COMPLETED, "input_file_id": "file-x"}), CREATED),
                 "batches.retrieve.same", 'input_file_id is "file-x"')
    assert_fails(batches.retrieved(answer(ERROR, 404), CREATED), "batches.retrieve.same", "answered HTTP 404")


# -- lifecycle and counts -----------------------------------------------------------------------------------
def reads(*statuses: str) -> list[Exchange]:
    return [answer({**CREATED, "status": s}) for s in statuses]


@pytest.mark.parametrize("statuses", [("validating", "in_progress", "in_progress", "finalizing", "completed"),
                                      ("validating", "failed"), ("in_progress", "cancelling", "cancelled"),
                                      ("validating", "cancelled")])
def test_forward_lifecycles_pass(statuses):
    assert_passes(batches.lifecycle(reads(*statuses)), "batches.status.lifecycle")


@pytest.mark.parametrize("statuses, text", [
    (("completed", "in_progress"), "completed then in_progress"),
    (("in_progress", "validating"), "in_progress then validating"),
    (("cancelling", "in_progress"), "cancelling then in_progress"),
    (("cancelled", "completed"), "cancelled then completed"),
])
def test_backward_lifecycles_fail(statuses, text):
    assert_fails(batches.lifecycle(reads(*statuses)), "batches.status.lifecycle", text)


def test_a_lifecycle_needs_two_documented_reads():
    assert [f.verdict for f in batches.lifecycle(reads("validating", "running"))] == [SKIP]


def test_counts_of_a_completed_batch():
    assert_passes(batches.completed_counts(answer(COMPLETED), 2), "batches.request-counts")
    assert_fails(batches.completed_counts(answer(COMPLETED), 3), "batches.request-counts",
                 "total is 2, the input file has 3 lines")
    short = {**COMPLETED, "request_counts": {"total": 2, "completed": 1, "failed": 0}}
    assert_fails(batches.completed_counts(answer(short), 2), "batches.request-counts",
                 "completed (1) + failed (0) is not total (2)")
    assert batches.completed_counts(answer(CREATED), 2) == []  # not completed: nothing to count yet


# -- result files -------------------------------------------------------------------------------------------
CHAT = {"id": "chatcmpl-xyz", "object": "chat.completion", "created": 1711475054, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}]}
OUT = {"id": "batch_req_wnaDys", "custom_id": "request-2",
       "response": {"status_code": 200, "request_id": "req_c187b3", "body": CHAT}, "error": None}
FAILED_LINE = {"id": "batch_req_HOWS94", "custom_id": "request-1",
               "response": {"status_code": 400, "request_id": "req_9a2b", "body": ERROR}, "error": None}
ERROR_LINE = {"id": "batch_req_7xQ", "custom_id": "request-1", "response": None,
              "error": {"code": "batch_expired", "message": "This request could not be executed before the "
                                                             "completion window expired."}}
IDS = ["request-1", "request-2"]


def jsonl_file(*lines, status=200) -> Exchange:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return Exchange.from_parts(method="GET", path="/files/file-cvaTdG/content", status=status, body=text,
                               headers={"content-type": "application/octet-stream"})


@pytest.mark.parametrize("error_line", [FAILED_LINE, ERROR_LINE])
def test_documented_result_files_pass(error_line):
    findings = batches.result_files(jsonl_file(OUT), jsonl_file(error_line), IDS, "/v1/chat/completions")
    for requirement in ("batches.output.lines", "batches.output.response", "batches.output.errors"):
        assert_passes(findings, requirement)


def test_results_in_any_order_pass():
    other = {**OUT, "custom_id": "request-1"}
    findings = batches.result_files(jsonl_file(OUT, other), None, IDS, "/v1/chat/completions")
    assert_passes(findings, "batches.output.lines")
    assert [f.verdict for f in findings if f.requirement == "batches.output.errors"] == [SKIP]


@pytest.mark.parametrize("output, errors, text", [
    ([OUT], [], 'no result for ["request-1"]'),
    ([{k: v for k, v in OUT.items() if k != "custom_id"}], [FAILED_LINE], "1 result lines carry no custom_id"),
    ([OUT, OUT], [FAILED_LINE], 'more than one result for ["request-2"]'),
    ([OUT, {**OUT, "custom_id": "other"}], [FAILED_LINE], 'custom_ids the input did not have: ["other"]'),
])
def test_result_files_that_lose_or_mix_lines_fail(output, errors, text):
    findings = batches.result_files(jsonl_file(*output), jsonl_file(*errors) if errors else None, IDS,
                                    "/v1/chat/completions")
    assert_fails(findings, "batches.output.lines", text)


def test_a_completed_batch_without_result_files_fails():
    assert_fails(batches.result_files(None, None, IDS, "/v1/chat/completions"), "batches.output.lines",
                 "names neither an output_file_id nor an error_file_id")


def test_an_output_file_that_cannot_be_read_fails():
    ex = jsonl_file(status=404)
    assert_fails(batches.result_files(ex, None, IDS, "/v1/chat/completions"), "batches.output.lines",
                 "the output file (GET /files/file-cvaTdG/content) answered HTTP 404")


@pytest.mark.parametrize("line, text", [
    ({"custom_id": "request-2", "response": CHAT}, "response.status_code is null"),
    ({**OUT, "response": {"status_code": 200, "body": CHAT}}, "response.request_id is null"),
    ({**OUT, "response": {**OUT["response"], "body": {"object": "text_completion", "choices": []}}},
     'body.object is "text_completion"'),
    ({**OUT, "response": None}, "response is null, expected an object"),
])
def test_output_lines_without_a_valid_response_fail(line, text):
    findings = batches.result_files(jsonl_file(line), jsonl_file(FAILED_LINE), IDS, "/v1/chat/completions")
    assert_fails(findings, "batches.output.response", text)


@pytest.mark.parametrize("line, text", [
    ({**FAILED_LINE, "custom_id": None}, "carries no custom_id"),
    ({**OUT, "custom_id": "request-1"}, "has neither an error object nor a failed response"),
])
def test_error_lines_without_an_error_fail(line, text):
    findings = batches.result_files(jsonl_file(OUT), jsonl_file(line), IDS, "/v1/chat/completions")
    assert_fails(findings, "batches.output.errors", text)


# -- list ---------------------------------------------------------------------------------------------------
def page_of(items, more=False, **overrides) -> Exchange:
    body = {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": more, **overrides}
    return answer(body, path="/batches?limit=10")


NEWER, OLDER = {**CANCELLING, "id": "batch_new"}, {**COMPLETED, "id": "batch_old"}


def test_a_list_with_both_batches_passes():
    ex = page_of([NEWER, OLDER])
    for requirement in ("batches.list.shape", "batches.list.limit", "batches.list.cursor-ids"):
        assert_passes(batches.page(ex, 10), requirement)
    assert_passes(batches.listed(ex, ["batch_old", "batch_new"]), "batches.list.contains")
    for requirement in batches.OBJECT:
        assert_passes(batches.listed_objects(ex, ["batch_new", "batch_old"]), requirement)


def test_list_pages_judged_under_batches_ids():
    assert_fails(batches.page(page_of([NEWER], has_more=None), 10), "batches.list.shape", "has_more is null")
    assert_fails(batches.page(page_of([NEWER, OLDER]), 1), "batches.list.limit", "more than limit=1")
    assert_fails(batches.page(page_of([NEWER, OLDER], first_id="batch_old"), 10), "batches.list.cursor-ids",
                 'first_id is "batch_old"')
    good = [page_of([NEWER], True), page_of([OLDER])]
    for requirement in ("batches.list.has-more", "batches.list.after", "batches.list.walk"):
        assert_passes(batches.walk(good, ["batch_new", "batch_old"]), requirement)
    again = [page_of([NEWER], True), page_of([NEWER], True)]
    assert_fails(batches.walk(again, ["batch_new", "batch_old"]), "batches.list.after", "repeats")
    assert_fails(batches.walk(again, ["batch_new", "batch_old"]), "batches.list.walk", "never yielded")
    assert_fails(batches.walk([page_of([NEWER])], ["batch_new", "batch_old"]), "batches.list.has-more",
                 "said has_more false")


def test_a_list_without_the_new_batches():
    assert_fails(batches.listed(page_of([OLDER]), ["batch_old", "batch_new"]), "batches.list.contains",
                 'without ["batch_new"]')
    assert [f.verdict for f in batches.listed(page_of([OLDER], True), ["batch_new"])] == [SKIP]


def test_list_items_that_are_not_documented_batches_fail():
    ex = page_of([{**OLDER, "status": "succeeded"}])
    assert_fails(batches.listed_objects(ex, ["batch_old"]), "batches.status.documented", 'status is "succeeded"')
    assert batches.listed_objects(ex, ["batch_new"]) == []  # not this run's: not judged


# -- cancel -------------------------------------------------------------------------------------------------
def cancel(body, status=200) -> Exchange:
    return answer(body, status, method="POST", path="/batches/batch_abc123/cancel")


def test_the_documented_cancel_passes():
    assert_passes(batches.cancelling(cancel(CANCELLING)), "batches.cancel.cancelling")
    done = {**CANCELLING, "status": "cancelled", "cancelled_at": 1711475200}
    assert_passes(batches.cancelling(cancel(done)), "batches.cancel.cancelling")


@pytest.mark.parametrize("body, status, text", [
    (CREATED, 200, "status is \"validating\", expected cancelling"),
    ({**CANCELLING, "cancelling_at": None}, 200, "cancelling_at is not set"),
    (ERROR, 400, "answered HTTP 400"),
])
def test_a_cancel_that_does_not_cancel_fails(body, status, text):
    assert_fails(batches.cancelling(cancel(body, status)), "batches.cancel.cancelling", text)


def test_reads_after_the_cancel():
    cancelled = {**CANCELLING, "status": "cancelled", "cancelled_at": 1711475200}
    assert_passes(batches.after_cancel(answer(cancelled), "batch_abc123"), "batches.cancel.cancelled")
    assert_passes(batches.after_cancel(page_of([{**cancelled, "id": "batch_new"}, OLDER]), "batch_new"),
                  "batches.cancel.cancelled")
    assert_fails(batches.after_cancel(answer(COMPLETED), "batch_abc123"), "batches.cancel.cancelled",
                 'status is "completed" after the cancel')
    assert_fails(batches.after_cancel(answer({**cancelled, "cancelled_at": None}), "batch_abc123"),
                 "batches.cancel.cancelled", "cancelled_at is not set")
    assert [f.verdict for f in batches.after_cancel(page_of([OLDER]), "batch_new")] == [SKIP]


# -- refused creations --------------------------------------------------------------------------------------
@pytest.mark.parametrize("requirement", ["batches.create.unknown-file", "batches.create.bad-endpoint",
                                         "batches.create.bad-window"])
def test_refused_creations(requirement):
    assert_passes(batches.refused(creation(ERROR, 400), requirement, "a bad batch"), requirement)
    not_found = copy.deepcopy(ERROR)
    assert_passes(batches.refused(creation(not_found, 404), requirement, "a bad batch"), requirement)
    assert_fails(batches.refused(creation(CREATED), requirement, "a bad batch"), requirement, "was accepted")
    assert_fails(batches.refused(creation({"detail": "no"}, 400), requirement, "a bad batch"), requirement,
                 "not OpenAI's error shape")
    assert_fails(batches.refused(creation(ERROR, 500), requirement, "a bad batch"), requirement, "never a 5xx")


def test_a_wrong_purpose_is_refused_or_fails_validation():
    req = "batches.create.wrong-purpose"
    assert_passes(batches.wrong_purpose(creation(ERROR, 400)), req)
    assert_passes(batches.wrong_purpose(creation(CREATED), answer({**CREATED, "status": "failed",
                                                                   "failed_at": 1711471540})), req)
    assert [f.verdict for f in batches.wrong_purpose(creation(CREATED), answer(CREATED))] == [SKIP]
    assert_fails(batches.wrong_purpose(creation(CREATED), answer(COMPLETED)), req, "shows status \"completed\"")
    assert_fails(batches.wrong_purpose(creation(CREATED)), req, "was accepted")
    assert [f.verdict for f in batches.wrong_purpose(creation(ERROR, 500))] == [FAIL]


def test_created_at_is_the_time_of_the_creation():
    def created(created_at, date):
        return Exchange.from_parts("POST", "/batches", status=200, body={**CREATED, "created_at": created_at},
                                   headers={"content-type": "application/json", "date": date})

    now = CREATED["created_at"]
    date = email.utils.formatdate(now + 1, usegmt=True)
    assert_passes(common.created_recent(created(now, date), "batches.object.created-recent", now),
                  "batches.object.created-recent")
    assert_fails(common.created_recent(created(now * 1000, date), "batches.object.created-recent", now * 1000),
                 "batches.object.created-recent", "milliseconds")
