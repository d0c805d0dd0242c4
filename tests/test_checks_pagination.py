"""Pagination checks on OpenAI's list objects (seed list and messages list) and on paging bugs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oaic.checks import pagination
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGE_REQUIREMENTS = ("pagination.list.shape", "pagination.limit.respected", "pagination.cursor.ids")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def item(ident: str, created: int = 1) -> dict:
    return {"id": ident, "object": "chat.completion", "created": created}


def page_of(items: list, more: bool, path: str = "/chat/completions?limit=1", **overrides) -> Exchange:
    body = {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": more, **overrides}
    return Exchange.from_parts(method="GET", path=path, body=body)


A, B, C = item("a", 1), item("b", 2), item("c", 3)


# -- one page -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["stored/openai_list.json", "openai/stored_messages.json"])
def test_openai_list_pages_pass(name):
    findings = pagination.page(Exchange.from_parts(method="GET", path="/chat/completions", body=fixture(name)), 20)
    for requirement in PAGE_REQUIREMENTS:
        assert_passes(findings, requirement)


def test_an_empty_page_with_null_cursors_passes():
    findings = pagination.page(page_of([], False), 1)
    assert_passes(findings, "pagination.list.shape")


@pytest.mark.parametrize("overrides, text", [
    ({"object": "page"}, 'object is "page", expected "list"'),
    ({"data": {"a": A}}, "data is"),
    ({"has_more": "no"}, 'has_more is "no", expected true or false'),
    ({"first_id": None}, "first_id is null, expected a string"),
    ({"data": [{"object": "chat.completion"}]}, "data/0 has id null"),
])
def test_broken_envelopes_fail_shape(overrides, text):
    assert_fails(pagination.page(page_of([A], False, **overrides), 1), "pagination.list.shape", text)


def test_missing_has_more_and_cursors_fail_shape():
    body = {"object": "list", "data": [A]}
    finding = assert_fails(pagination.page(Exchange.from_parts(method="GET", path="/x", body=body)),
                           "pagination.list.shape", "has_more is missing")
    assert "first_id is missing" in finding.message


def test_cursors_on_an_empty_page_fail_shape():
    assert_fails(pagination.page(page_of([], False, first_id="a"), 1), "pagination.list.shape", "on an empty page")


def test_a_bare_array_or_an_error_fails_shape():
    bare = Exchange.from_parts(method="GET", path="/chat/completions", body=[A])
    assert_fails(pagination.page(bare), "pagination.list.shape", "body is list")
    missing = Exchange.from_parts(method="GET", path="/chat/completions", status=405, body={"detail": "Not allowed"})
    assert_fails(pagination.page(missing), "pagination.list.shape", "expected 200 with a list")


def test_more_items_than_limit_fail():
    assert_fails(pagination.page(page_of([A, B], True), 1), "pagination.limit.respected",
                 "returned 2 items, more than limit=1")


def test_cursor_ids_that_do_not_name_the_first_and_last_items_fail():
    assert_fails(pagination.page(page_of([A, B], False, last_id="a"), 2), "pagination.cursor.ids",
                 'last_id is "a" but data/1 has id "b"')
    assert_fails(pagination.page(page_of([A, B], False, first_id="b"), 2), "pagination.cursor.ids", "first_id")


# -- a walk -------------------------------------------------------------------------------------------------
def test_a_correct_walk_passes():
    pages = [page_of([A], True), page_of([B], True, "/chat/completions?after=a"),
             page_of([C], False, "/chat/completions?after=b")]
    findings = pagination.walk(pages, ["c", "b", "a"])
    for requirement in ("pagination.has-more", "pagination.after.continues", "pagination.walk.complete"):
        assert_passes(findings, requirement)


def test_has_more_false_too_early_fails():
    findings = pagination.walk([page_of([A], False)], ["a", "b"])
    assert_fails(findings, "pagination.has-more", 'said has_more false after 1 items, but the list holds 2: ["b"]')
    assert_fails(findings, "pagination.walk.complete", 'never yielded ["b"]')


def test_has_more_true_on_the_last_page_fails():
    pages = [page_of([A], True), page_of([B], True), page_of([], False, "/chat/completions?after=b")]
    assert_fails(pagination.walk(pages, ["a", "b"]), "pagination.has-more",
                 "page 2 said has_more true, but the next page")


def test_an_ignored_after_cursor_fails():
    pages = [page_of([A], True), page_of([A], True, "/chat/completions?after=a")]
    findings = pagination.walk(pages, ["a", "b"])
    assert_fails(findings, "pagination.after.continues", 'page 2 (/chat/completions?after=a) repeats ["a"]')
    assert_fails(findings, "pagination.walk.complete", "never yielded")


def test_a_walk_with_items_the_large_page_lacks_fails():
    assert_fails(pagination.walk([page_of([A], True), page_of([C], False)], ["a"]), "pagination.walk.complete",
                 'the walk yielded ["c"], which the large page does not list')


def test_a_walk_against_a_known_count():
    findings = pagination.walk([page_of([A, B], False)], at_least=3)
    assert_fails(findings, "pagination.has-more", "after 2 items, but the list holds 3")
    assert not [f for f in findings if f.requirement == "pagination.walk.complete"]
    assert_passes(pagination.walk([page_of([A, B], True), page_of([C], False)], at_least=3), "pagination.has-more")


def test_a_broken_walk_is_not_judged():
    broken = Exchange.from_parts(method="GET", path="/chat/completions?after=a", status=500, body="oops",
                                 headers={"content-type": "text/plain"})
    findings = pagination.walk([page_of([A], True), broken], ["a", "b"])
    assert {f.verdict for f in findings} == {"skip"}
    assert "page 2" in findings[0].message


# -- order --------------------------------------------------------------------------------------------------
def test_desc_in_reverse_passes():
    assert_passes(pagination.reverse_order([A, B, C], page_of([C, B, A], False)), "pagination.order.desc")


def test_items_created_in_the_same_second_may_come_in_any_order():
    a, b, c = item("a", 5), item("b", 5), item("c", 6)
    assert_passes(pagination.reverse_order([a, b, c], page_of([c, a, b], False)), "pagination.order.desc")


def test_an_ignored_order_fails():
    assert_fails(pagination.reverse_order([A, B], page_of([A, B], False)), "pagination.order.desc",
                 "order looks ignored")


def test_desc_listing_other_items_fails():
    assert_fails(pagination.reverse_order([A, B], page_of([C, A], False)), "pagination.order.desc",
                 "not the same items")


def test_desc_out_of_order_without_created_fails():
    x, y, z = {"id": "x"}, {"id": "y"}, {"id": "z"}
    assert_fails(pagination.reverse_order([x, y, z], page_of([z, x, y], False)), "pagination.order.desc",
                 "expected the reverse")


# -- invalid parameters -------------------------------------------------------------------------------------
ERROR = {"error": {"message": "Invalid 'limit': integer below minimum value.", "type": "invalid_request_error",
                   "param": "limit", "code": "integer_below_min_value"}}


@pytest.mark.parametrize("param, value", [("limit", 0), ("limit", "ten"), ("order", "sideways")])
def test_a_400_for_an_invalid_parameter_passes(param, value):
    ex = Exchange.from_parts(method="GET", path=f"/chat/completions?{param}={value}", status=400, body=ERROR)
    assert_passes(pagination.rejected_param(ex, param, value), pagination.PARAM_REQUIREMENTS[param])


@pytest.mark.parametrize("param, value", [("limit", 0), ("limit", "ten"), ("order", "sideways")])
def test_serving_an_invalid_parameter_fails(param, value):
    ex = page_of([A, B], False, f"/chat/completions?{param}={value}")
    assert_fails(pagination.rejected_param(ex, param, value), pagination.PARAM_REQUIREMENTS[param],
                 "was served: HTTP 200 with 2 items")


def test_a_server_error_for_an_invalid_parameter_fails():
    ex = Exchange.from_parts(method="GET", path="/chat/completions?limit=ten", status=500,
                             headers={"content-type": "text/plain"}, body="Internal Server Error")
    assert_fails(pagination.rejected_param(ex, "limit", "ten"), "pagination.params.limit", "never a 5xx")


def test_a_rate_limited_list_request_is_not_judged():
    ex = Exchange.from_parts(method="GET", path="/chat/completions?limit=0", status=429, body=ERROR,
                             headers={"retry-after": "1"})
    assert [f.verdict for f in pagination.rejected_param(ex, "limit", 0)] == ["error"]


@pytest.mark.parametrize("status", pagination.ENDPOINT_MISSING)
def test_invalid_parameters_of_a_missing_list_endpoint_are_not_judged(status):
    ex = Exchange.from_parts(method="GET", path="/chat/completions?limit=0", status=status,
                             body={"detail": "Method Not Allowed"})
    findings = pagination.rejected_param(ex, "limit", 0)
    assert [f.verdict for f in findings] == ["skip"] and "list endpoint is not there" in findings[0].message


def test_an_empty_list_shows_nothing_about_paging_or_order():
    findings = pagination.walk([page_of([], False)], [])
    assert {f.verdict for f in findings} == {"skip"}
    assert [f.verdict for f in pagination.reverse_order([A], page_of([A], False))] == ["skip"]


def test_the_invalid_list_parameters_the_suite_sends_are_invalid_by_the_document():
    """Each probe must break the parameter's schema; a value OpenAI may serve (limit 0: no minimum) is no probe."""
    from jsonschema import Draft202012Validator
    from oaic.profile import profile
    from oaic.scenarios.test_stored import INVALID_LIST_PARAMS

    parameters = {p["name"]: p["schema"] for p in profile().operation("listChatCompletions").parameters()}
    for param, value, _ in INVALID_LIST_PARAMS:
        assert not Draft202012Validator(parameters[param]).is_valid(value), (param, value)
    assert Draft202012Validator(parameters["limit"]).is_valid(0)


def test_walk_is_sound_only_when_each_item_comes_once():
    from oaic.checks import pagination
    from oaic.exchange import Exchange

    def page(*ids):
        return Exchange.from_parts("GET", "/chat/completions", body={
            "object": "list", "data": [{"id": i} for i in ids], "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None, "has_more": False})

    assert pagination.walk_is_sound([page("a"), page("b")], ["a", "b"])
    assert not pagination.walk_is_sound([page("a"), page("a")], ["a", "b"])  # after= ignored
    assert not pagination.walk_is_sound([page("a")], ["a", "b"])  # an item never came
    assert pagination.walk_is_sound([page("m1", "m2"), page("m3")])
