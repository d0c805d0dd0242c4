"""Batches: upload a two-line JSONL input file (two tiny chat requests), create a batch and poll it (a few reads,
short pauses) until it finishes, read its output (and error) file, create a second batch and cancel it, list and
page the batches, and have invalid creations refused. The tests share what they created and run
in file order; the files the run uploaded or the batch produced are deleted at the end, even when a test fails.

A real provider may take far longer than the poll budget to run a batch: then what needs a finished batch is
skipped with that reason, never failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from oaic import multipart
from oaic.checks import batches, common, files, pagination
from oaic.checks.common import honest_unsupported
from oaic.exchange import Exchange
from oaic.transport import Transport

# As the official SDK asks for a file's content: its bytes, whatever they are (not a JSON answer).
DOWNLOAD = {"accept": "application/binary"}
pytestmark = pytest.mark.needs("batches")
TAG_SALT = "oaic batches v1"
ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"
POLL_PAUSES = (0.5, 1.0, 2.0)  # reads after the first: a handful, a few seconds in all
PAGE = 10


def run_tag(target_name: str) -> str:
    return hashlib.sha256(f"{target_name}|{TAG_SALT}".encode()).hexdigest()[:16]


def input_lines(tag: str, model: str) -> list[dict[str, Any]]:
    """Two tiny requests. (A line the endpoint refuses would show the error file, but whether a provider fails the
    whole batch for it instead is not documented, and it costs two more requests: the error file is judged when a
    provider writes one.)"""
    return [{"custom_id": f"oaic-{tag}-{n}", "method": "POST", "url": ENDPOINT,
             "body": {"model": model, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 5}}
            for n in (1, 2)]


@dataclass
class BatchesRun:
    api: Transport
    tag: str
    model: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    upload: Exchange | None = None
    request: dict[str, Any] = field(default_factory=dict)
    creation: Exchange | None = None
    reads: list[Exchange] = field(default_factory=list)  # of the first batch, after its creation
    cancel_target: Exchange | None = None
    unsupported: Exchange | None = None
    to_delete: list[str] = field(default_factory=list)

    @property
    def input_file(self) -> str | None:
        return files.file_id(self.upload) if self.upload is not None else None

    @property
    def first(self) -> str | None:
        return batches.batch_id(self.creation) if self.creation is not None else None

    @property
    def custom_ids(self) -> list[str]:
        return [line["custom_id"] for line in self.lines]

    def upload_input(self) -> str | None:
        if self.upload is None:
            data = "".join(json.dumps(line) + "\n" for line in self.lines).encode()
            content, headers = multipart.encode(
                {"purpose": "batch"}, {"file": (f"oaic-{self.tag}.jsonl", data, "application/jsonl")})
            self.upload = self.api.request("POST", "/files", content=content, headers=headers)
            if self.input_file:
                self.to_delete.append(self.input_file)
            elif honest_unsupported(self.upload):
                self.unsupported = self.upload
        return self.input_file

    def create(self, **overrides: Any) -> Exchange:
        body = {"input_file_id": self.input_file, "endpoint": ENDPOINT, "completion_window": WINDOW, **overrides}
        return self.api.post("/batches", json=body)

    def start(self) -> None:
        """Upload the input file and create the first batch (once)."""
        if self.creation is not None or self.upload_input() is None:
            return
        self.request = {"input_file_id": self.input_file, "endpoint": ENDPOINT, "completion_window": WINDOW}
        self.creation = self.create()
        if honest_unsupported(self.creation):
            self.unsupported = self.creation

    def finish(self) -> Exchange | None:
        """Read the first batch until it reaches a terminal status or the poll budget is spent; the last read."""
        if self.first is None:
            return None
        if not self.reads:
            for pause in (0.0, *POLL_PAUSES):
                if pause:
                    self.api.sleep(pause)
                ex = self.api.get(f"/batches/{self.first}")
                self.reads.append(ex)
                if batches.status_of(ex) in batches.TERMINAL or batches.body_of(ex) is None:
                    break
        return self.reads[-1]


@pytest.fixture(scope="module")
def run(api, target, oaic_run):
    tag = run_tag(target.name)
    model = target.model("chat")
    state = BatchesRun(api, tag, model, input_lines(tag, model))
    yield state
    oaic_run.delete_leftovers([f"/files/{i}" for i in state.to_delete], "files this run's batches used")


def need_batch(run: BatchesRun, verdicts) -> bool:
    """Start the first batch; False, with the covered requirements skipped or unsupported, when that failed."""
    run.start()
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return False
    if run.first is not None:
        return True
    why = "the input file was not uploaded" if run.input_file is None else "the batch was not created"
    verdicts.skip(sorted(verdicts.covered), f"not judged: {why} (see batches.create.accepted)")
    return False


LIFECYCLE = ("batches.create.accepted", "batches.object.*", "batches.status.*", "batches.request-counts",
             "batches.retrieve.same")


@pytest.mark.covers(*LIFECYCLE)
def test_create_and_poll_until_finished(run, verdicts):
    if run.upload_input() is None:
        if run.unsupported is not None:
            verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        else:
            verdicts.skip(sorted(verdicts.covered), f"not judged: uploading the input file answered "
                                                    f"{run.upload.describe()}")
        return
    run.start()
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return
    verdicts.extend(batches.created(run.creation, run.request))
    body = batches.body_of(run.creation)
    if body is not None:
        verdicts.extend(common.created_recent(run.creation, "batches.object.created-recent", body.get("created_at"),
                                              "created_at"))
    if run.first is None:
        return
    last = run.finish()
    verdicts.extend(batches.retrieved(run.reads[0], run.creation.json()))
    for ex in run.reads:
        verdicts.extend(batches.observed(ex))
    verdicts.extend(batches.lifecycle([run.creation, *run.reads]))
    verdicts.extend(batches.completed_counts(last, len(run.lines)))


@pytest.mark.covers("batches.output.*")
def test_output_and_error_files(run, verdicts):
    if not need_batch(run, verdicts):
        return
    last = run.finish()
    status = batches.status_of(last)
    if status != "completed":
        verdicts.skip(sorted(verdicts.covered), f"not judged: the batch is {status or last.describe()} after "
                                                f"{len(run.reads)} reads, not completed")
        return
    body = batches.body_of(last)
    downloads = {}
    for kind in ("output", "error"):
        ident = body.get(f"{kind}_file_id")
        if isinstance(ident, str) and ident:
            run.to_delete.append(ident)
            downloads[kind] = run.api.get(f"/files/{ident}/content", headers=DOWNLOAD)
    verdicts.extend(batches.result_files(downloads.get("output"), downloads.get("error"), run.custom_ids, ENDPOINT))


@pytest.mark.covers("batches.cancel.*", "batches.list.*", "batches.object.*", "batches.status.documented")
def test_cancel_and_list(run, verdicts):
    if not need_batch(run, verdicts):
        return
    run.finish()  # the first batch is read before the second exists, as in a full run
    second = run.create()
    verdicts.extend(batches.observed(second))
    ident = batches.batch_id(second)
    if ident is None:
        verdicts.skip(sorted(verdicts.covered), f"not judged: creating a second batch answered {second.describe()}")
        return
    cancel = run.api.post(f"/batches/{ident}/cancel")
    verdicts.extend(batches.observed(cancel))
    if batches.body_of(cancel) is None and batches.status_of(second) in batches.TERMINAL:
        verdicts.skip(["batches.cancel.cancelling", "batches.cancel.cancelled"],
                      f"not judged: the batch was already {batches.status_of(second)} when it was cancelled")
    else:
        verdicts.extend(batches.cancelling(cancel))
    large = run.api.get("/batches", params={"limit": PAGE})
    if honest_unsupported(large):
        verdicts.unsupported([r for r in sorted(verdicts.covered) if r.startswith("batches.list.")], large)
        return
    verdicts.extend(batches.page(large, PAGE))
    verdicts.extend(batches.listed_objects(large, [run.first, ident]))
    verdicts.extend(batches.listed(large, [run.first, ident]))
    if batches.body_of(cancel) is not None:
        verdicts.extend(batches.after_cancel(large, ident))
    # One batch a page over the first two: the same batches as the first two of the large page.
    pages, after = [], None
    while len(pages) < 2:
        ex = run.api.get("/batches", params={"limit": 1, **({"after": after} if after else {})})
        pages.append(ex)
        verdicts.extend(batches.page(ex, 1))
        ids = pagination.page_ids(ex)
        if not ids or pagination.has_more(ex) is not True:
            break
        after = ids[-1]
    verdicts.extend(batches.walk(pages, pagination.page_ids(large)[:2]))


INVALID = [
    ("batches.create.unknown-file", {"input_file_id": "file-oaic0000000000000000000000"},
     "a batch whose input_file_id names no file"),
    ("batches.create.bad-endpoint", {"endpoint": "/v1/oaic/unknown"}, "a batch for the endpoint /v1/oaic/unknown"),
    ("batches.create.bad-window", {"completion_window": "1h"}, "a batch with completion_window 1h"),
]


@pytest.mark.parametrize("requirement, overrides, what", [
    pytest.param(req, overrides, what, marks=pytest.mark.covers(req), id=req.rsplit(".", 1)[1])
    for req, overrides, what in INVALID])
def test_invalid_creation_is_refused(run, verdicts, requirement, overrides, what):
    uploaded = run.upload_input()
    if run.unsupported is not None:  # no /files or /batches endpoint: nothing could be refused
        verdicts.unsupported([requirement], run.unsupported)
        return
    if uploaded is None:
        verdicts.skip([requirement], "not judged: the input file was not uploaded")
        return
    verdicts.extend(batches.refused(run.create(**overrides), requirement, what))


@pytest.mark.covers("batches.create.wrong-purpose")
def test_input_file_of_another_purpose_is_refused(run, verdicts):
    """The finished batch's output file (purpose batch_output) serves as an input file of the wrong purpose."""
    if not need_batch(run, verdicts):
        return
    body = batches.body_of(run.finish()) or {}
    other = body.get("output_file_id") or body.get("error_file_id")
    if not isinstance(other, str) or not other:
        verdicts.skip(sorted(verdicts.covered), "not judged: the batch produced no file to use as a wrong input")
        return
    run.to_delete.append(other)
    ex = run.create(input_file_id=other)
    later = None
    if batches.batch_id(ex):
        later = run.api.get(f"/batches/{batches.batch_id(ex)}")
    verdicts.extend(batches.wrong_purpose(ex, later))
