"""report.html, the matrix and the diff: what they show, and that nothing a server sent can become markup."""

from __future__ import annotations

import json
import re

from oaic.catalogue import load
from oaic.cli import main
from oaic.exchange import Exchange, sse_body
from oaic.findings import ERROR, failed, passed
from oaic.report import html, write_all
from oaic.results import Results, from_json
from oaic.sse import decode

HOSTILE = "</script><script>alert(1)</script>\u2028\ud800\x00<!--"
IDS = {"chat.stream.data-json", "models.list.shape", "models.object.shape", "chat.response.schema"}


def stream_exchange() -> Exchange:
    body = sse_body({"id": "c1", "choices": [{"index": 0, "delta": {"content": "hi"}}]}, '{"cut', done=True)
    ex = Exchange.from_parts(request_json={"model": "m", "stream": True, "messages": [{"role": "user",
                             "content": HOSTILE}]}, body=body, stream=True,
                             request_headers={"authorization": "Bearer sk-top-secret-1234", "x-a": "1"})
    assert ex.events is not None and decode(body).events
    return ex


def sample() -> Results:
    results = Results(load(), IDS, target={"name": "prov <b>", "base_url": "http://h/v1", "models": {"chat": "m"},
                                           "capabilities": ["chat", "streaming"]}, claimed={"chat", "streaming"})
    index = results.add_exchange(stream_exchange(), "t::stream")
    results.add(failed("chat.stream.data-json", f"event #1 data is not JSON {HOSTILE}"), "t::stream")
    results.add(passed("models.list.shape"), "t::models")
    results.metric("chat.stream.ttft_s", 0.12)
    results.metric("chat.stream.gap_s", 0.01)
    results.spent = {"requests": 2, "retries": 0, "prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
    assert index == 0
    return results


def test_exchanges_are_compact_scrubbed_and_survive_results_json(tmp_path):
    results = sample()
    finding = results.findings[0]
    assert finding.exchange == 0  # a finding refers to the latest exchange of its test
    view = results.exchanges[0]
    assert view["request_headers"]["authorization"] == "<REDACTED>" and view["method"] == "POST"
    assert [e[1] for e in view["events"]][1] == 'data: {"cut'
    write_all(results, tmp_path)  # a lone surrogate in a message does not stop the reports being written
    text = (tmp_path / "results.json").read_text(encoding="utf-8")
    assert "\ud800" not in json.dumps(json.loads(text)["exchanges"])  # exchange views are cleaned
    again = from_json(json.loads(text), load())
    assert again.exchanges == json.loads(text)["exchanges"] and again.findings[0].exchange == 0
    assert again.metrics["chat.stream.ttft_s"] == [0.12]


def test_a_huge_body_is_capped():
    from oaic.exchange_view import BODY_LIMIT, compact

    view = compact(Exchange.from_parts(method="GET", path="/models", body="x" * (BODY_LIMIT * 3)))
    assert len(view["body"]) < BODY_LIMIT + 100


def test_overall_verdict_rule():
    results = sample()
    assert results.overall() == "NOT CONFORMANT"
    clean = Results(load(), {"models.list.shape", "models.object.shape"})
    clean.add(passed("models.list.shape"))
    clean.add(passed("models.object.shape"))
    assert clean.overall() == "CONFORMANT"
    clean.add(failed("models.object.shape", "x").__class__("models.object.shape", ERROR, "could not judge"))
    assert clean.overall() == "INCOMPLETE"
    clean.findings = clean.findings[:2]
    clean.interrupted = True
    assert clean.overall() == "INCOMPLETE"


def test_report_page_opens_with_the_verdict_and_escapes_everything(tmp_path):
    write_all(sample(), tmp_path, secrets=["sk-top-secret-1234"])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "sk-top-secret-1234" not in page
    assert page.index("NOT CONFORMANT") < page.index("Needs attention") < page.index('id="req-models.list.shape"')
    assert 'id="req-chat.stream.data-json"' in page and "What OpenAI does" in page
    assert "data-ex='0' data-hl='1'" in page  # the offending event named in the message is highlighted
    # The only script elements are ours; server text never closes or opens one.
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<b>" not in page and "prov &lt;b&gt;" in page and "\x00" not in page
    data = re.search(r"<script type='application/json' id=oaic-data>(.*?)</script>", page, re.S).group(1)
    assert "<" not in data and "\u2028" not in data and json.loads(data)["exchanges"][0]["method"] == "POST"
    assert "<svg class=chart" in page and "total tokens" in page and "src=" not in page and "http-equiv" not in page


def test_matrix_html_and_markdown(tmp_path, capsys):
    write_all(sample(), tmp_path / "a")
    other = sample()
    other.target = {**other.target, "name": "other", "version": "2.0"}
    other.findings = [f for f in other.findings if f.requirement != "chat.stream.data-json"]
    other.add(passed("chat.stream.data-json"))
    write_all(other, tmp_path / "b")
    a, b = str(tmp_path / "a" / "results.json"), str(tmp_path / "b" / "results.json")
    assert main(["report", "--matrix", a, b]) == 0
    markdown = capsys.readouterr().out
    assert "| requirement | level | prov <b> | other 2.0 |" in markdown
    assert "| `chat.stream.data-json` | MUST | ❌ fail | ✅ pass |" in markdown and "## chat" in markdown
    assert main(["report", "--matrix", a, b, "-o", str(tmp_path / "m.html")]) == 0
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "other 2.0" in page and "prov &lt;b&gt;" in page and "<b>" not in page
    assert page.index("chat.stream.data-json") < page.index("chat.response.schema")  # failures first
    assert "class='cell v-fail'" in page and "0/1" in page and "1/1" in page
    assert main(["report", "--matrix", a, b, "-o", str(tmp_path / "m.md")]) == 0
    assert (tmp_path / "m.md").read_text(encoding="utf-8") == markdown


def test_diff_has_a_header_counts_and_html(tmp_path, capsys):
    write_all(sample(), tmp_path / "a")
    fixed = sample()
    fixed.findings = [f for f in fixed.findings if f.requirement != "chat.stream.data-json"]
    fixed.add(passed("chat.stream.data-json"))
    write_all(fixed, tmp_path / "b")
    a, b = str(tmp_path / "a" / "results.json"), str(tmp_path / "b" / "results.json")
    assert main(["report", "--diff", a, b, "-o", str(tmp_path / "d.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("old: prov <b> (") and "0 regression(s), 1 fix(es)" in out
    assert "fixed      chat.stream.data-json: fail -> pass" in out
    assert "no regression" in (tmp_path / "d.html").read_text(encoding="utf-8")
    assert main(["report", "--diff", b, a, "-o", str(tmp_path / "d2.html")]) == 1
    assert "1 regression(s)" in capsys.readouterr().out
    assert "REGRESSED" in (tmp_path / "d2.html").read_text(encoding="utf-8")


def test_report_command_renders_the_page_again(tmp_path, capsys):
    write_all(sample(), tmp_path)
    assert main(["report", str(tmp_path / "results.json"), "-o", str(tmp_path / "again.html")]) == 1
    assert 'id="req-chat.stream.data-json"' in (tmp_path / "again.html").read_text(encoding="utf-8")
    assert html.render(sample()).startswith("<!doctype html>")


def test_a_finding_refers_to_the_exchange_its_evidence_names():
    results = Results(load(), IDS)
    first = results.add_exchange(Exchange.from_parts(method="GET", path="/models", body={"data": []}), "t::x")
    later = results.add_exchange(Exchange.from_parts(method="POST", path="/chat/completions", body={}), "t::x")
    named = results.add(failed("models.list.shape", "bad", request="GET /models (minimal)"), "t::x")
    plain = results.add(failed("models.object.shape", "bad"), "t::x")
    other_test = results.add(failed("chat.response.schema", "bad"), "t::y")
    assert (named.exchange, plain.exchange, other_test.exchange) == (first, later, None)


def test_exchange_bodies_stop_being_kept_past_the_budget(monkeypatch):
    import oaic.results as results_module

    monkeypatch.setattr(results_module, "EXCHANGE_CHARS_KEPT", 10)
    results = Results(load(), IDS)
    for _ in range(2):
        results.add_exchange(Exchange.from_parts(method="GET", path="/models", body="x" * 50), "t::x")
    assert results.exchanges[0]["body"] == "x" * 50 and "not kept" in results.exchanges[1]["body"]


def test_a_capability_profile_is_shown_with_its_statuses():
    results = sample()
    results.target["profile"] = {"streaming": "supported", "tools": "unsupported <i>"}
    page = html.render(results)
    assert "tools <small>unsupported &lt;i&gt;</small>" in page and "<i>" not in page
