"""reports/junit.xml: one test case per requirement, one test suite per area, for CI dashboards."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict

from ..findings import ERROR, FAIL, NOT_RECORDED, SKIP, UNSUPPORTED, WARN
from ..results import Results
from .display import safe_display


def render(results: Results, secrets: list[str] | None = None) -> str:
    """Every text that may quote the server goes through safe_display: XML 1.0 forbids most control characters
    and ElementTree would write them anyway."""
    secrets = secrets or []
    by_area = defaultdict(list)
    for item in results.by_requirement():
        by_area[item.requirement.area].append(item)
    root = ET.Element("testsuites", name="oaic")
    for area, items in sorted(by_area.items()):
        suite = ET.SubElement(root, "testsuite", name=area, tests=str(len(items)))
        counts = defaultdict(int)
        for item in items:
            req = item.requirement
            case = ET.SubElement(suite, "testcase", classname=f"oaic.{area}", name=f"{req.id} [{req.level}]")
            details = "\n".join(
                f"[{f.verdict}] {safe_display(f.test, 300, secrets)}: {safe_display(f.message, 2000, secrets)}"
                + (f"\n  evidence: {safe_display(json.dumps(f.evidence, default=str), 2000, secrets)}"
                   if f.evidence else "")
                for f in item.findings if f.verdict != "pass")
            message = safe_display(item.message, 500, secrets)
            if item.verdict == FAIL or (item.verdict == WARN and results.strict):
                ET.SubElement(case, "failure", message=message, type=item.verdict).text = details
                counts["failures"] += 1
            elif item.verdict in (ERROR, NOT_RECORDED):
                ET.SubElement(case, "error", message=f"{item.verdict}: {message}").text = details
                counts["errors"] += 1
            elif item.verdict in (SKIP, UNSUPPORTED):
                ET.SubElement(case, "skipped", message=f"{item.verdict}: {message}")
                counts["skipped"] += 1
            elif item.verdict == WARN:
                ET.SubElement(case, "system-out").text = "warn (SHOULD): " + details
        for key in ("failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

