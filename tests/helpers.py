"""Assertions for check self-tests. They also remember which requirements were shown failing, so the
session can prove that every catalogued requirement has a unit test on a violating transcript."""

from __future__ import annotations

from oaic.findings import FAIL, PASS, WARN, Finding

SHOWN_FAILING: set[str] = set()
SHOWN_PASSING: set[str] = set()


def verdicts_of(findings: list[Finding], requirement: str) -> list[str]:
    return [f.verdict for f in findings if f.requirement == requirement]


def assert_fails(findings: list[Finding], requirement: str, contains: str = "") -> Finding:
    """At least one finding for ``requirement`` is a failure (checks emit ``fail``; SHOULD becomes warn later)."""
    failing = [f for f in findings if f.requirement == requirement and f.verdict in (FAIL, WARN)]
    assert failing, f"expected {requirement} to fail, got {[(f.requirement, f.verdict, f.message) for f in findings]}"
    if contains:
        assert any(contains in f.message for f in failing), \
            f"no failure message of {requirement} contains {contains!r}: {[f.message for f in failing]}"
    SHOWN_FAILING.add(requirement)
    return failing[0]


def assert_passes(findings: list[Finding], requirement: str) -> None:
    """``requirement`` was judged and nothing about it failed."""
    own = [f for f in findings if f.requirement == requirement]
    assert own, f"{requirement} was not judged; findings: {[(f.requirement, f.verdict) for f in findings]}"
    bad = [f for f in own if f.verdict != PASS]
    assert not bad, f"expected {requirement} to pass, got {[(f.verdict, f.message) for f in bad]}"
    SHOWN_PASSING.add(requirement)


def assert_no_failures(findings: list[Finding]) -> None:
    bad = [(f.requirement, f.verdict, f.message) for f in findings if f.verdict not in (PASS, "skip")]
    assert not bad, f"expected no failures, got {bad}"
