"""Files checks on file objects in OpenAI's documented form and on the ways a provider loses what was uploaded,
pages its list, or refuses an upload."""

from __future__ import annotations

import pytest
from oaic.checks import common, files
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

# The file object as OpenAI documents it (createFile / retrieveFile answers).
FILE = {"id": "file-abc123", "object": "file", "bytes": 120000, "created_at": 1677610602,
        "expires_at": 1680202602, "filename": "salesOverview.pdf", "purpose": "assistants", "status": "processed",
        "status_details": None}
NOT_FOUND = {"error": {"message": "No such File object: file-abc123", "type": "invalid_request_error",
                       "param": "id", "code": None}}
BAD_PURPOSE = {"error": {"message": "'sideways' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', "
                                    "'vision', 'evals'] - 'purpose'", "type": "invalid_request_error",
                         "param": None, "code": None}}


def answer(body, status=200, method="GET", path="/files/file-abc123", **kw) -> Exchange:
    return Exchange.from_parts(method=method, path=path, status=status, body=body, **kw)


def upload_answer(body, status=200) -> Exchange:
    return answer(body, status, method="POST", path="/files")


def upload_findings(body, status=200):
    return files.uploaded(upload_answer(body, status), "salesOverview.pdf", 120000, "assistants")


# -- upload -------------------------------------------------------------------------------------------------
def test_the_documented_file_object_passes_every_upload_requirement():
    findings = upload_findings(FILE)
    for requirement in files.UPLOAD:
        assert_passes(findings, requirement)
    assert files.file_id(upload_answer(FILE)) == "file-abc123"


@pytest.mark.parametrize("requirement, change, text", [
    ("files.object.shape", {"object": "File"}, 'object is "File", expected "file"'),
    ("files.object.shape", {"created_at": 1677610602000}, "created_at is 1677610602000, expected an integer in "
                                                          "Unix seconds"),
    ("files.object.shape", {"bytes": "120000"}, 'bytes is "120000", expected a non-negative integer'),
    ("files.object.id-prefix", {"id": "3f2a9c0e1b"}, 'does not start with "file-"'),
    ("files.upload.bytes", {"bytes": 120187}, "the size of the multipart request"),
    ("files.upload.filename", {"filename": "upload"}, "filename is \"upload\", the upload was named"),
    ("files.upload.filename", {"filename": None}, "filename is null"),
    ("files.upload.purpose", {"purpose": "user_data"}, 'purpose is "user_data", the upload gave \'assistants\''),
])
def test_an_upload_answer_that_loses_what_was_sent_fails(requirement, change, text):
    assert_fails(upload_findings({**FILE, **change}), requirement, text)


def test_a_refused_upload_fails_acceptance():
    assert_fails(upload_findings(BAD_PURPOSE, 400), "files.upload.accepted", "answered HTTP 400")
    assert_fails(upload_findings({"detail": "Not Found"}, 404), "files.upload.accepted", "expected 200")


# -- retrieve and content ---------------------------------------------------------------------------------------
def test_retrieve_of_the_same_file_passes():
    assert_passes(files.retrieved(answer(FILE), FILE), "files.retrieve.same")


@pytest.mark.parametrize("body, status, text", [
    ({**FILE, "bytes": 0, "status": "uploaded"}, 200, "bytes is 0, the upload answered 120000"),
    ({**FILE, "filename": "file"}, 200, 'filename is "file"'),
    (NOT_FOUND, 404, "answered HTTP 404"),
])
def test_a_retrieve_that_differs_fails(body, status, text):
    assert_fails(files.retrieved(answer(body, status), FILE), "files.retrieve.same", text)


DATA = b"oaic files check\r\nsecond line\n"


def download(body, status=200, content_type="application/octet-stream") -> Exchange:
    return answer(body, status, path="/files/file-abc123/content", headers={"content-type": content_type})


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/plain; charset=utf-8",
                                          "application/jsonl"])
def test_the_bytes_as_uploaded_pass(content_type):
    findings = files.content(download(DATA, content_type=content_type), DATA)
    assert_passes(findings, "files.content.identical")
    assert_passes(findings, "files.content.type")


def test_a_json_file_served_as_json_passes_the_type():
    assert_passes(files.content(download(b'{"a": 1}', content_type="application/json"), b'{"a": 1}'),
                  "files.content.type")


def test_content_that_is_not_the_upload_fails():
    wrapped = '{"object": "file.content", "content": "oaic files check\\r\\nsecond line\\n"}'
    assert_fails(files.content(download(wrapped, content_type="application/json"), DATA), "files.content.identical",
                 "(the bytes wrapped in JSON)")
    assert_fails(files.content(download(DATA[:-1]), DATA), "files.content.identical", "returned 29 bytes")
    assert_fails(files.content(download(NOT_FOUND, 404, "application/json"), DATA), "files.content.identical",
                 "answered HTTP 404")


@pytest.mark.parametrize("content_type, text", [
    ("application/json", "labelled application/json, but the bytes are not a JSON document"),
    ("text/html", "served as text/html"),
    ("", "names no content type"),
])
def test_content_under_a_wrong_type_fails(content_type, text):
    ex = download(DATA, content_type=content_type)
    if not content_type:
        ex.headers.pop("content-type")
    assert_fails(files.content(ex, DATA), "files.content.type", text)


# -- list ---------------------------------------------------------------------------------------------------
def item(ident: str, created: int, purpose: str = "assistants") -> dict:
    return {**FILE, "id": ident, "created_at": created, "purpose": purpose}


NEW, OLD = item("file-new", 1677610700, "batch"), item("file-old", 1677610602, "user_data")


def page_of(items, more=False, path="/files?order=desc&limit=10", **overrides) -> Exchange:
    body = {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": more, **overrides}
    return answer(body, path=path)


def test_a_newest_first_page_with_both_uploads_passes():
    ex = page_of([NEW, OLD])
    for requirement in ("files.list.shape", "files.list.limit", "files.list.cursor-ids"):
        assert_passes(files.page(ex, 10), requirement)
    assert_passes(files.listed(ex, ["file-old", "file-new"]), "files.list.contains")
    assert_passes(files.newest_first(ex, ["file-old", "file-new"]), "files.list.order")


def test_page_requirements_are_judged_under_files_ids():
    assert_fails(files.page(page_of([NEW], object="page"), 1), "files.list.shape", 'object is "page"')
    assert_fails(files.page(page_of([NEW, OLD]), 1), "files.list.limit", "returned 2 items, more than limit=1")
    assert_fails(files.page(page_of([NEW, OLD], last_id="file-new"), 10), "files.list.cursor-ids", "last_id is")
    assert not [f for f in files.page(page_of([NEW, OLD]), 1) if f.requirement.startswith("pagination.")]


def test_a_sound_walk_passes_and_broken_ones_fail():
    good = [page_of([NEW], True), page_of([OLD], False)]
    findings = files.walk(good, ["file-new", "file-old"])
    for requirement in ("files.list.has-more", "files.list.after", "files.list.walk"):
        assert_passes(findings, requirement)
    repeated = [page_of([NEW], True), page_of([NEW], True)]
    assert_fails(files.walk(repeated, ["file-new", "file-old"]), "files.list.after", "repeats")
    assert_fails(files.walk(repeated, ["file-new", "file-old"]), "files.list.walk", "never yielded")
    stopped = [page_of([NEW], False)]
    assert_fails(files.walk(stopped, ["file-new", "file-old"]), "files.list.has-more", "said has_more false")


def test_a_list_without_the_uploads_fails():
    assert_fails(files.listed(page_of([]), ["file-new"]), "files.list.contains", 'without ["file-new"]')


def test_an_oldest_first_list_fails_the_order():
    assert_fails(files.newest_first(page_of([OLD, NEW]), ["file-old", "file-new"]), "files.list.order",
                 "created_at 1677610700) after data/0")
    same_second = [item("file-old", 5), item("file-new", 5)]
    assert_fails(files.newest_first(page_of(same_second), ["file-old", "file-new"]), "files.list.order",
                 "listed oldest first")


def test_order_is_not_judged_without_two_of_the_uploads():
    findings = files.newest_first(page_of([NEW]), ["file-old", "file-new"])
    assert [f.verdict for f in findings] == ["skip"]


def test_the_purpose_filter():
    assert_passes(files.purpose_filtered(page_of([NEW]), "batch", "file-new"), "files.list.purpose-filter")
    assert_fails(files.purpose_filtered(page_of([NEW, OLD]), "batch", "file-new"), "files.list.purpose-filter",
                 "files of other purposes")
    assert_fails(files.purpose_filtered(page_of([]), "batch", "file-new"), "files.list.purpose-filter",
                 "lacks file-new")


# -- delete and refusals ------------------------------------------------------------------------------------
def deletion(body, status=200) -> Exchange:
    return answer(body, status, method="DELETE")


def test_the_deletion_object():
    body = {"id": "file-abc123", "object": "file", "deleted": True}
    assert_passes(files.deleted(deletion(body), "file-abc123"), "files.delete.response")
    assert_fails(files.deleted(deletion({"id": "file-abc123", "object": "file"}), "file-abc123"),
                 "files.delete.response", "deleted is missing")
    assert_fails(files.deleted(deletion(NOT_FOUND, 404), "file-abc123"), "files.delete.response", "HTTP 404")


def test_gone_after_delete():
    assert_passes(files.gone(answer(NOT_FOUND, 404)), "files.delete.gone")
    assert_fails(files.gone(answer(FILE)), "files.delete.gone", "after deleting the file answered HTTP 200")
    assert_fails(files.gone(answer({"detail": "Not Found"}, 404)), "files.delete.gone", "no 'error' object")


@pytest.mark.parametrize("requirement", ["files.upload.bad-purpose", "files.upload.missing-file"])
def test_refused_uploads(requirement):
    assert_passes(files.refused(upload_answer(BAD_PURPOSE, 400), requirement, "an upload"), requirement)
    assert_fails(files.refused(upload_answer(FILE), requirement, "an upload"), requirement, "was accepted")
    assert_fails(files.refused(upload_answer({"error": {"message": "boom", "type": "server_error", "param": None,
                                                        "code": None}}, 500), requirement, "an upload"),
                 requirement, "never a 5xx")
    assert_fails(files.refused(upload_answer({"detail": "bad purpose"}, 422), requirement, "an upload"),
                 requirement, "not OpenAI's error shape")


def test_created_at_is_the_time_of_the_upload():
    def uploaded(created_at, date):
        return Exchange.from_parts("POST", "/files", status=200, body={**FILE, "created_at": created_at},
                                   headers={"content-type": "application/json", "date": date})

    # 1677610602 is Tue, 28 Feb 2023 18:56:42 GMT
    assert_passes(common.created_recent(uploaded(1677610602, "Tue, 28 Feb 2023 18:56:43 GMT"),
                                        "files.object.created-recent", 1677610602), "files.object.created-recent")
    assert_fails(common.created_recent(uploaded(0, "Tue, 28 Feb 2023 18:56:43 GMT"), "files.object.created-recent", 0),
                 "files.object.created-recent", "before the answer's Date header")
