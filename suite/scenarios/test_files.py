"""Files: upload two small files (different purposes, a second apart), retrieve, download, list (newest first,
paged one file at a time, filtered by purpose), delete, and refused uploads. The tests share the two files and run
in file order; whatever the run uploaded is deleted at the end, even when a test fails.

The file contents name this run (a hash of the target's name, so a recorded run replays), and uploads are sent
with a multipart boundary derived from their parts, so the same run always sends the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from oaic import multipart
from oaic.checks import common, files, pagination
from oaic.checks.common import honest_unsupported
from oaic.exchange import Exchange
from oaic.transport import Transport

# As the official SDK asks for a file's content: its bytes, whatever they are (not a JSON answer).
DOWNLOAD = {"accept": "application/binary"}
pytestmark = pytest.mark.needs("files")
TAG_SALT = "oaic files v1"
PAGE = 10
# created_at is in whole seconds: files uploaded in the same second tie, and a tie cannot show the list's order.
UPLOAD_PAUSE = 1.0
LIST_PATH = "/files"


def run_tag(target_name: str) -> str:
    return hashlib.sha256(f"{target_name}|{TAG_SALT}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    purpose: str
    content_type: str


def uploads(tag: str) -> tuple[Upload, Upload]:
    """A plain text file (user_data) and a JSONL file of two valid batch requests (batch, never run), in the order
    they are uploaded. The JSONL file is the one downloaded: OpenAI refuses to give back some purposes' files, never
    a batch file's. Its first line ends in CRLF, so a server that rewrites line endings is seen."""
    text = Upload(f"oaic-{tag}.txt", f"oaic files check {tag}\n".encode(), "user_data", "text/plain")
    line = {"method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "oaic-unused", "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 1}}
    data = "".join(json.dumps({"custom_id": f"oaic-{tag}-{n}", **line}) + end for n, end in ((1, "\r\n"), (2, "\n")))
    return text, Upload(f"oaic-{tag}.jsonl", data.encode(), "batch", "application/jsonl")


def upload(api: Transport, item: Upload | None, purpose: str) -> Exchange:
    """POST /files as multipart/form-data; ``item`` None sends the purpose without a file part."""
    parts = {"file": (item.filename, item.data, item.content_type)} if item else {}
    content, headers = multipart.encode({"purpose": purpose}, parts)
    return api.request("POST", LIST_PATH, content=content, headers=headers)


@dataclass
class FilesRun:
    api: Transport
    tag: str
    pause: float = 0.0
    items: tuple[Upload, Upload] = ()
    creations: list[Exchange] = field(default_factory=list)
    unsupported: Exchange | None = None
    deleted: set[str] = field(default_factory=set)

    def upload_all(self) -> None:
        if self.creations:
            return
        for item in self.items:
            if self.creations and self.pause:
                self.api.sleep(self.pause)
            ex = upload(self.api, item, item.purpose)
            self.creations.append(ex)
            if honest_unsupported(ex):
                self.unsupported = ex
                return

    @property
    def ids(self) -> list[str]:
        return [i for i in (files.file_id(ex) for ex in self.creations) if i]

    def original(self, index: int) -> dict[str, Any]:
        return self.creations[index].json()


@pytest.fixture(scope="module")
def run(api, target, oaic_run):
    replaying = getattr(api.store, "replaying", False)
    pause = UPLOAD_PAUSE if "files.list.order" in oaic_run.selected and not replaying else 0.0
    tag = run_tag(target.name)
    state = FilesRun(api, tag, pause, uploads(tag))
    yield state
    oaic_run.delete_leftovers([f"/files/{i}" for i in state.ids if i not in state.deleted],
                              "files this run uploaded")


def need_both(run: FilesRun, verdicts) -> bool:
    """Upload the two files (once); False, with the covered requirements skipped or unsupported, when that failed."""
    run.upload_all()
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return False
    if len(run.ids) == 2:
        return True
    verdicts.skip(sorted(verdicts.covered), "not judged: the two files were not uploaded (see files.upload.accepted)")
    return False


@pytest.mark.covers("files.upload.*", "files.object.*")
def test_upload_returns_the_file_object(run, verdicts):
    run.upload_all()
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return
    for item, ex in zip(run.items, run.creations):
        verdicts.extend(files.uploaded(ex, item.filename, len(item.data), item.purpose))
        body = ex.json() if ex.status == 200 else None
        if isinstance(body, dict):
            verdicts.extend(common.created_recent(ex, "files.object.created-recent", body.get("created_at"),
                                                  "created_at"))


@pytest.mark.covers("files.retrieve.same", "files.content.identical", "files.content.type")
def test_retrieve_and_download(run, verdicts):
    if not need_both(run, verdicts):
        return
    batch_file = run.ids[1]
    verdicts.extend(files.retrieved(run.api.get(f"/files/{batch_file}"), run.original(1)))
    verdicts.extend(files.content(run.api.get(f"/files/{batch_file}/content", headers=DOWNLOAD), run.items[1].data))


LIST_REQUIREMENTS = ("files.list.contains", "files.list.order", "files.list.shape", "files.list.limit",
                     "files.list.cursor-ids", "files.list.has-more", "files.list.after", "files.list.walk")


@pytest.mark.covers(*LIST_REQUIREMENTS)
def test_list_newest_first_and_paged(run, verdicts):
    if not need_both(run, verdicts):
        return
    large = run.api.get(LIST_PATH, params={"order": "desc", "limit": PAGE})
    if honest_unsupported(large):
        verdicts.unsupported(LIST_REQUIREMENTS, large)
        return
    verdicts.extend(files.page(large, PAGE))
    verdicts.extend(files.listed(large, run.ids))
    verdicts.extend(files.newest_first(large, run.ids))
    # One file a page over the first two: the same files as the first two of the large page.
    pages, after = [], None
    while len(pages) < 2:
        ex = run.api.get(LIST_PATH, params={"order": "desc", "limit": 1, **({"after": after} if after else {})})
        pages.append(ex)
        verdicts.extend(files.page(ex, 1))
        ids = pagination.page_ids(ex)
        if not ids or pagination.has_more(ex) is not True:
            break
        after = ids[-1]
    verdicts.extend(files.walk(pages, pagination.page_ids(large)[:2]))


@pytest.mark.covers("files.list.purpose-filter", "files.list.shape")
def test_list_filtered_by_purpose(run, verdicts):
    if not need_both(run, verdicts):
        return
    second = run.items[1]
    ex = run.api.get(LIST_PATH, params={"purpose": second.purpose, "order": "desc", "limit": PAGE})
    verdicts.extend(files.page(ex, PAGE))
    verdicts.extend(files.purpose_filtered(ex, second.purpose, run.ids[1]))


@pytest.mark.covers("files.delete.response", "files.delete.gone")
def test_delete_then_gone(run, verdicts):
    if not need_both(run, verdicts):
        return
    for ident in run.ids:
        ex = run.api.delete(f"/files/{ident}")
        verdicts.extend(files.deleted(ex, ident))
        if ex.ok:
            run.deleted.add(ident)
    ex = run.api.get(f"/files/{run.ids[0]}")
    verdicts.extend(files.gone(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("files.upload.bad-purpose")
def test_upload_with_an_unknown_purpose_is_refused(run, verdicts):
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return
    item = run.items[0]
    ex = upload(run.api, item, "sideways")
    if ex.ok and files.file_id(ex):
        run.creations.append(ex)  # accepted: deleted with the others at the end
    if honest_unsupported(ex):  # no upload endpoint at all: nothing was refused
        verdicts.unsupported(sorted(verdicts.covered), ex)
        return
    verdicts.extend(files.refused(ex, "files.upload.bad-purpose", "an upload with purpose 'sideways'"))


@pytest.mark.covers("files.upload.missing-file")
def test_upload_without_a_file_is_refused(run, verdicts):
    if run.unsupported is not None:
        verdicts.unsupported(sorted(verdicts.covered), run.unsupported)
        return
    ex = upload(run.api, None, "user_data")
    if honest_unsupported(ex):  # no upload endpoint at all: nothing was refused
        verdicts.unsupported(sorted(verdicts.covered), ex)
        return
    verdicts.extend(files.refused(ex, "files.upload.missing-file", "an upload without a file part"))
