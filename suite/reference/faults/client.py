"""Legal behaviour a client library must cope with: a rate limit that asks for a pause and then lifts."""

from __future__ import annotations

import json
from typing import Any

from ..wire import APIError
from . import FaultContext, fault

RETRY_AFTER_SECONDS = "1"
_limited_last_time: set[str] = set()  # requests answered 429 on their previous attempt


def _key(ctx: FaultContext) -> str | None:
    """The one request of a run this applies to: a chat completion with a temperature above 2."""
    request = ctx.request if isinstance(ctx.request, dict) else {}
    temperature = request.get("temperature")
    if ctx.endpoint != "chat.completions" or not isinstance(temperature, (int, float)) or temperature <= 2:
        return None
    return json.dumps(request, sort_keys=True)


def _limit_every_other_attempt(body: Any, ctx: FaultContext) -> Any:
    key = _key(ctx)
    if key is None:
        return body
    if key in _limited_last_time:
        _limited_last_time.discard(key)
        return body
    _limited_last_time.add(key)
    ctx.rate_limited = True  # type: ignore[attr-defined]
    raise APIError(429, "Rate limit reached for requests. Please try again in 1s.", None, "rate_limit_exceeded",
                   "requests")


fault("rate-limit-retry-after", [],
      "The chat completion with temperature above 2 is answered 429 with Retry-After: 1 on one attempt and served "
      "normally on the next (a rate limit that lifts; clients must wait and retry).",
      public=False, request=_limit_every_other_attempt,
      response_headers=lambda headers, ctx: {**headers, "retry-after": RETRY_AFTER_SECONDS}
      if getattr(ctx, "rate_limited", False) else headers)
