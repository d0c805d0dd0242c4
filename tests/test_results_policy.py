"""The verdict policy lives in Results: a failure judged on an honest refusal is `unsupported` only for a
capability the run attempted without a claim (discovery); a claimed capability that is refused fails."""

from __future__ import annotations

from oaic.catalogue import load
from oaic.exchange import Exchange
from oaic.findings import FAIL, UNSUPPORTED, WARN, failed
from oaic.results import Results

OPENAI_404 = {"error": {"message": "Invalid URL (GET /v1/models/m)", "type": "invalid_request_error",
                        "param": None, "code": "unknown_url"}}
PARAM_400 = {"error": {"message": "logprobs is not supported", "type": "invalid_request_error",
                       "param": "logprobs", "code": None}}


def results(attempted: set[str], claimed: set[str]) -> Results:
    return Results(load(), target={"attempted": sorted(attempted)}, claimed=claimed | {"core"})


def judged_on(res: Results, status: int, body, requirement: str):
    res.add_exchange(Exchange.from_parts("GET", "/models/m", status=status, body=body), "t")
    return res.add(failed(requirement, "expected 200"), "t")


def test_a_missing_route_of_an_attempted_area_is_not_served():
    finding = judged_on(results({"models"}, {"models"}), 404, OPENAI_404, "models.retrieve.shape")
    assert finding.verdict == UNSUPPORTED and finding.message.startswith("not served")
    finding = judged_on(results({"models"}, {"models"}), 404, {"detail": "Not Found"}, "models.retrieve.shape")
    assert finding.verdict == UNSUPPORTED


def test_a_claimed_area_that_is_refused_fails():
    assert judged_on(results(set(), {"models"}), 404, OPENAI_404, "models.retrieve.shape").verdict == FAIL


def test_a_resource_404_of_an_attempted_area_still_fails():
    not_found = {"error": {"message": "The model `m` does not exist", "type": "invalid_request_error",
                           "param": None, "code": "model_not_found"}}
    assert judged_on(results({"models"}, {"models"}), 404, not_found, "models.retrieve.shape").verdict == FAIL


def test_an_attempted_feature_refused_in_openai_shape_is_unsupported_and_a_5xx_fails():
    res = results({"chat", "logprobs"}, {"chat", "logprobs"})
    assert judged_on(res, 400, PARAM_400, "chat.logprobs.tokens").verdict == UNSUPPORTED
    res = results({"chat", "logprobs"}, {"chat", "logprobs"})
    assert judged_on(res, 500, PARAM_400, "chat.logprobs.tokens").verdict == FAIL
    res = results({"chat", "logprobs"}, {"chat", "logprobs"})
    assert judged_on(res, 400, {"detail": "bad"}, "chat.logprobs.tokens").verdict == FAIL


def test_should_requirements_keep_their_warn_when_not_refused():
    res = results(set(), {"chat"})
    res.add_exchange(Exchange.from_parts("POST", "/chat/completions", status=200, body={}), "t")
    assert res.add(failed("errors.status.bad-request", "422"), "t").verdict == WARN


def test_a_run_that_judged_nothing_is_incomplete_not_conformant():
    res = results(set(), {"files"})
    res.selected = {"files.upload.accepted"}
    res.add_exchange(Exchange.from_parts("POST", "/files", status=404, body=OPENAI_404), "t")
    res.add(failed("files.upload.accepted", "not served"), "t")
    assert res.overall() == "NOT CONFORMANT"  # claimed and refused: a failure
    nothing = results({"files"}, {"files"})
    nothing.selected = {"files.upload.accepted"}
    nothing.add_exchange(Exchange.from_parts("POST", "/files", status=404, body=OPENAI_404), "t")
    assert nothing.add(failed("files.upload.accepted", "x"), "t").verdict == UNSUPPORTED
    assert nothing.judged_count() == (0, 0) and nothing.overall() == "INCOMPLETE" and nothing.exit_code() == 3


def test_a_scenario_of_an_area_not_served_leaves_shared_requirements_unjudged_not_refused():
    res = Results(load(), target={"attempted": ["moderations"], "not_served": {"moderations": "POST /moderations: 404"}},
                  claimed={"core"})
    res.capability_missing({"moderations.model.unknown-404", "errors.unknown-model.code"}, "t", "moderations")
    verdicts = {f.requirement: f for f in res.findings}
    assert verdicts["moderations.model.unknown-404"].verdict == UNSUPPORTED
    shared = verdicts["errors.unknown-model.code"]  # about every area: a missing /moderations refuses nothing of it
    assert shared.verdict == "skip" and "needs 'moderations', not served" in shared.message
