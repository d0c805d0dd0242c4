"""Which cassette an exchange belongs to: one per scenario test, named after the test's node id.

One cassette per test (rather than per area) keeps replay independent of test selection and order: the n-th
identical request of a test is matched to its n-th recording, whatever other tests ran before it, and
re-recording or adding one scenario touches one file.
"""

from __future__ import annotations

import hashlib
import re

SESSION_CASSETTE = "_session.yaml"  # exchanges made outside any test
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=+,\[\]-]")
_MAX_STEM = 120


def cassette_name(nodeid: str | None) -> str:
    """The cassette path, relative to the recording folder, of the test with this node id.

    ``.../suite/scenarios/test_chat.py::TestStream::test_usage[n=2]`` gives ``test_chat/TestStream.test_usage[n=2].yaml``:
    the module path below ``scenarios/`` is the folder, so names do not depend on where pytest's rootdir is.
    """
    if not nodeid:
        return SESSION_CASSETTE
    module, _, test = nodeid.partition("::")
    module = module.replace("\\", "/")
    if "scenarios/" in module:
        module = module.rsplit("scenarios/", 1)[1]
    else:
        module = module.rsplit("/", 1)[-1]
    if module.endswith(".py"):
        module = module[:-3]
    folders = [_safe(part) for part in module.split("/") if part not in ("", ".", "..")]
    return "/".join(folders + [_safe(test.replace("::", ".") or "module")]) + ".yaml"


def _safe(name: str) -> str:
    """A portable file name; when characters had to be replaced, a short hash keeps distinct ids distinct."""
    cleaned = _UNSAFE.sub("_", name)
    if cleaned != name or len(cleaned) > _MAX_STEM:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        cleaned = f"{cleaned[:_MAX_STEM]}-{digest}"
    return cleaned
