"""The catalogue is well-formed data, every requirement has a check, and every finding names a catalogued ID."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from oaic.checks import REGISTRY, all_check_modules
from oaic.findings import Finding, failed
from oaic.results import Results

from suite import catalogue

ROOT = Path(__file__).resolve().parent.parent


def test_catalogue_loads_with_unique_well_formed_ids():
    cat = catalogue.load()
    assert len(cat) > 10
    for req in cat:
        assert catalogue.ID_PATTERN.match(req.id) and req.id.startswith(req.area + ".")
        assert req.level in catalogue.LEVELS


def test_every_requirement_has_a_check():
    all_check_modules()
    judged = {r for fn in REGISTRY.values() for r in fn.requirements}
    unknown = judged - set(catalogue.load().by_id)
    assert not unknown, f"checks name requirements that are not catalogued: {sorted(unknown)}"
    missing = sorted(set(catalogue.load().by_id) - judged)
    assert not missing, f"requirements with no @check: {missing}"


def test_checks_only_name_catalogued_ids_in_findings():
    """Every literal requirement ID given to a finding constructor or @check is catalogued (catches typos)."""
    cat = catalogue.load()
    constructors = {"passed", "failed", "expect", "errored", "skipped", "unsupported", "Finding", "check"}
    for path in (ROOT / "suite" / "checks").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in constructors:
                continue
            literals = node.args if name == "check" else node.args[:1]
            for arg in literals:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    assert arg.value in cat, f"{path.name}:{node.lineno}: {arg.value!r} is not a catalogued requirement"


def test_results_reject_an_uncatalogued_id():
    results = Results(catalogue.load())
    with pytest.raises(KeyError, match="not in the catalogue"):
        results.add(failed("chat.no-such.requirement", "x"))


def test_should_failures_become_warnings_and_strict_counts_them():
    cat = catalogue.load()
    should = next(r for r in cat if r.level == "SHOULD")
    results = Results(cat, strict=False)
    results.add(failed(should.id, "broken"))
    assert results.findings[0].verdict == "warn" and results.exit_code() == 0
    strict = Results(cat, strict=True)
    strict.add(failed(should.id, "broken"))
    assert strict.exit_code() == 1
    must = next(r for r in cat if r.level == "MUST")
    results.add(failed(must.id, "broken"))
    assert results.exit_code() == 1


def test_unjudged_requirements_are_skips_that_say_why():
    cat = catalogue.load()
    results = Results(cat, claimed={"chat"})
    by_id = {r.requirement.id: r for r in results.by_requirement()}
    models = by_id["models.list.shape"]
    assert models.verdict == "skip" and "not claimed" in models.message
    assert by_id["chat.response.schema"].message.startswith("not applicable")


@pytest.mark.parametrize("text, message", [
    ("area: x\n", "expected a mapping"),
    ("area: x\nrequirements:\n  - id: x.a\n", "missing or empty"),
    ("area: x\nrequirements:\n  - {id: y.a, level: MUST, capability: chat, title: t, openai: o, reference: r}\n",
     "must be a dotted slug starting with 'x'"),
    ("area: x\nrequirements:\n  - {id: x.a, level: MUSTN'T, capability: chat, title: t, openai: o, reference: r}\n",
     "level must be one of"),
    ("area: x\nrequirements:\n  - {id: x.a, level: MUST, capability: time-travel, title: t, openai: o, "
     "reference: r}\n", "unknown capability"),
    ("area: x\nrequirements:\n  - {id: x.a, level: MUST, capability: chat, title: t, openai: o, reference: r, "
     "note: n}\n", "unknown field 'note'"),
])
def test_malformed_catalogue_entries_are_rejected(text, message):
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.parse_area(text, "test.yaml")


def test_selection_globs():
    cat = catalogue.load()
    only_models = cat.select(["models.*"], None)
    assert only_models and all(i.startswith("models.") for i in only_models)
    assert "models.list.shape" not in cat.select(["models.*"], ["models.list.*"])
    with pytest.raises(catalogue.CatalogueError):
        cat.select(["nope.*"], None)


def test_every_scenario_covers_catalogued_requirements():
    """Each scenario test is marked covers(...) and every pattern matches a requirement."""
    cat = catalogue.load()
    for path in (ROOT / "suite" / "scenarios").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                covers = [c for d in node.decorator_list for c in ast.walk(d)  # also pytest.param(marks=covers(...))
                          if isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "covers"]
                module_covers = "pytestmark" in path.read_text() and "covers" in path.read_text().split(
                    "pytestmark", 1)[1].split("\n", 1)[0]
                assert covers or module_covers, f"{path.name}::{node.name} has no @pytest.mark.covers"
                for decorator in covers:
                    for arg in getattr(decorator, "args", []):
                        if isinstance(arg, ast.Constant):
                            assert cat.matching(arg.value), f"{path.name}::{node.name}: {arg.value!r} matches nothing"


def test_finding_json_round_trip():
    finding = Finding("models.list.shape", "fail", "m", {"pointer": "/data/0"}, "t")
    assert finding.to_json() == {"requirement": "models.list.shape", "verdict": "fail", "message": "m",
                                 "evidence": {"pointer": "/data/0"}, "test": "t"}


# Areas judged inside other areas' scenarios rather than by scenarios of their own.
NO_SCENARIO_OF_THEIR_OWN = {
    "transport": "every exchange of every scenario is judged on it (run.exchange_seen)",
    "pagination": "every cursor list (stored completions, files, batches) is walked by its own area's scenario",
}


def test_every_area_word_names_its_catalogue_checks_scenario_faults_and_unit_tests():
    """The area mirror: adding a requirement means opening the files its area's word names."""
    missing = []
    for area in sorted(p.stem for p in (ROOT / "spec" / "requirements").glob("*.yaml")):
        expected = [ROOT / "suite" / "checks" / f"{area}.py", ROOT / "suite" / "reference" / "faults" / f"{area}.py",
                    ROOT / "tests" / f"test_checks_{area}.py"]
        if area not in NO_SCENARIO_OF_THEIR_OWN:
            expected.append(ROOT / "suite" / "scenarios" / f"test_{area}.py")
        missing += [str(path.relative_to(ROOT)) for path in expected if not path.is_file()]
    assert not missing, f"the area mirror has gaps: {missing}"
