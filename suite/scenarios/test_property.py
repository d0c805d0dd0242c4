"""The property phase: for every covered operation whose capability the target claims, requests generated from
the OpenAPI document (the profile, or OpenAI's document with --spec), --examples per operation, seeded by --seed.
Positive mode: valid requests are accepted and answered as documented. Negative mode: invalid requests are
rejected with a 4xx in OpenAI's error shape."""

from __future__ import annotations

import pytest
from oaic.checks.property import NEGATIVE_IDS, POSITIVE_IDS
from oaic.properties.cases import NEGATIVE, POSITIVE, NotApplicable
from oaic.properties.operations import PLANS
from oaic.properties.phase import run_operation


def operations(negative: bool = False) -> list:
    return [pytest.param(op_id, marks=pytest.mark.needs(plan.capability), id=op_id)
            for op_id, plan in PLANS.items() if plan.negative or not negative]


def run(api, target, oaic_run, verdicts, operation_id: str, mode: str, requirements: tuple[str, ...]) -> None:
    try:
        # Generated requests are not an application's: with a client library under test they still go raw.
        findings, stopped = run_operation(getattr(api, "raw", api), target, oaic_run.property_options, operation_id,
                                          mode)
    except (KeyError, NotApplicable) as exc:  # the document or the target lacks what this operation needs
        verdicts.skip(requirements, f"{operation_id}: {exc}")
        return
    except ImportError as exc:
        verdicts.skip(requirements, f"the property phase needs oaic[properties] (schemathesis): {exc}")
        return
    verdicts.extend(findings)
    if stopped is not None:
        raise stopped


@pytest.mark.covers("property.positive.*")
@pytest.mark.parametrize("operation_id", operations())
def test_valid_requests(api, target, oaic_run, verdicts, operation_id):
    run(api, target, oaic_run, verdicts, operation_id, POSITIVE, POSITIVE_IDS)


@pytest.mark.covers("property.negative.*")
@pytest.mark.parametrize("operation_id", operations(negative=True))
def test_invalid_requests(api, target, oaic_run, verdicts, operation_id):
    run(api, target, oaic_run, verdicts, operation_id, NEGATIVE, NEGATIVE_IDS)
