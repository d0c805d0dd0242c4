"""Legal variations: what a conforming server may do differently from the reference provider without breaking
any OpenAI client. They are not faults (not public, no requirement must fail): the self-tests switch them all
on and require the suite to report nothing, because a false failure costs as much trust as a missed one."""

from __future__ import annotations

from typing import Any

from ..wire import APIError
from . import FaultContext, fault

FRAGMENT_BYTES = 5  # small enough to split "data:" prefixes and multi-byte UTF-8 characters across writes


def _with_comments(pieces: list[Any], ctx: FaultContext) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        out += [b": keep-alive\n\n", piece]
    return out + [b": keep-alive\n\n"]


def _fragments(pieces: list[Any], ctx: FaultContext) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            out += [piece[i:i + FRAGMENT_BYTES] for i in range(0, len(piece), FRAGMENT_BYTES)]
        else:
            out.append(piece)
    return out


def _ids_and_retry(pieces: list[Any], ctx: FaultContext) -> list[Any]:
    numbered = [b"id: %d\n" % i + piece if isinstance(piece, bytes) else piece for i, piece in enumerate(pieces)]
    return [b"retry: 3000\n\n", *numbered]


def _each_bytes(change):
    return lambda pieces, ctx: [change(p) if isinstance(p, bytes) else p for p in pieces]


def _vendor_body(body: Any, ctx: FaultContext) -> Any:
    if isinstance(body, dict):
        body = {**body, "x_vendor": {"latency_ms": 3, "region": "local"}}
        if isinstance(body.get("choices"), list):
            body["choices"] = [{**c, "x_vendor_choice": 1} if isinstance(c, dict) else c for c in body["choices"]]
    return body


def _vendor_chunks(chunks: list[Any], ctx: FaultContext) -> list[Any]:
    # OpenAI itself now adds "obfuscation" (random padding) to stream chunks.
    return [{**c, "obfuscation": "a1b2c3"} if isinstance(c, dict) else c for c in chunks]


def _vendor_models(body: Any, ctx: FaultContext) -> Any:
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": [{**m, "permission": [], "root": m.get("id")} for m in body["data"]]}
    return {**body, "permission": []} if isinstance(body, dict) else body


def _vendor_error(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {**body, "error": {**body["error"], "x_vendor_code": "E42"}, "request_trace": "t-1"}
    return status, body


fault("sse-keepalive-comments", [], "Streams carry ': keep-alive' comment lines between events and after [DONE].",
      public=False, sse_bytes=_with_comments)

fault("sse-crlf", [], "Stream lines end with CRLF instead of LF.",
      public=False, sse_bytes=_each_bytes(lambda p: p.replace(b"\n", b"\r\n")))

fault("sse-no-space", [], "Stream fields have no space after the colon (data:{...}).",
      public=False, sse_bytes=_each_bytes(lambda p: p.replace(b"data: ", b"data:").replace(b"event: ", b"event:")))

fault("sse-fragmented", [], "Stream bytes are written in 5-byte fragments that split fields and characters.",
      public=False, sse_bytes=_fragments)

fault("sse-ids-retry", [], "Streams start with a retry: field and number every event with an id: field.",
      public=False, sse_bytes=_ids_and_retry)

fault("vendor-fields", [], "Bodies, choices, chunks, models and errors carry extra provider-specific fields.",
      public=False, chat_response=_vendor_body, completions_response=_vendor_body, embeddings_response=_vendor_body,
      responses_response=_vendor_body, stored_retrieve=_vendor_body, chat_chunks=_vendor_chunks,
      moderations_response=_vendor_body, transcriptions_json=_vendor_body, transcriptions_verbose=_vendor_body,
      models_list=_vendor_models, models_retrieve=_vendor_models, error=_vendor_error)

def _new_category(body: Any, ctx: FaultContext) -> Any:
    """A category OpenAI does not document (yet), in all three tables of every result."""
    for result in body.get("results", []):
        result["categories"]["self-harm/plan"] = False
        result["category_scores"]["self-harm/plan"] = 0.0001
        result["category_applied_input_types"]["self-harm/plan"] = ["text"]
    return body


def _subtitle_variants(text: str, ctx: FaultContext) -> str:
    """CRLF line ends; in WebVTT also cue identifiers, cue settings and timestamps without hours (all legal)."""
    if text.startswith("WEBVTT"):
        header, _, cues = text.partition("\n\n")
        blocks = [b for b in cues.split("\n\n") if b.strip()]
        text = header + " - transcript\n\nNOTE made by a legal variation\n\n" + "".join(
            f"cue-{n}\n" + b.replace("00:00:", "00:", 2).replace("\n", " align:start\n", 1) + "\n\n"
            for n, b in enumerate(blocks, 1))
    return text.replace("\n", "\r\n")


def _json_only(body: Any, ctx: FaultContext) -> Any:
    fmt = body.get("response_format", "json") if isinstance(body, dict) else "json"
    if ctx.endpoint == "audio.transcriptions" and fmt != "json":
        raise APIError(400, f"response_format '{fmt}' is not compatible with model '{body.get('model')}'. Use 'json' "
                            f"instead.", "response_format", "unsupported_value")
    return body


fault("moderations-new-category", [], "Moderation results carry a category OpenAI does not document.",
      public=False, moderations_response=_new_category)
fault("subtitle-variants", [], "srt and vtt with CRLF line ends; vtt with a header title, a NOTE block, cue "
      "identifiers, cue settings and timestamps without hours.",
      public=False, transcriptions_srt=_subtitle_variants, transcriptions_vtt=_subtitle_variants)
# Not in ALL_AT_ONCE, which must exercise the formats: tested on its own.
fault("transcription-json-only", [], "Transcription formats other than json are refused with a 400 naming "
      "response_format, as OpenAI's gpt-4o transcribe models answer.",
      public=False, request=_json_only)

# All at once, in an order where each keeps the others legal: whole events are numbered and interleaved with
# comments first, then re-spelled, and cut into fragments last.
ALL_AT_ONCE = ("vendor-fields", "sse-ids-retry", "sse-keepalive-comments", "sse-no-space", "sse-crlf",
               "sse-fragmented", "moderations-new-category", "subtitle-variants", "batches-cancel-at-once",
               "batches-output-reordered")
