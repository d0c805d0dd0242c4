"use strict";
// Filters, search and the exchange viewer. Server text is only ever set with textContent.
(function () {
  var dataNode = document.getElementById("oaic-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : {exchanges: []};
  var cards = Array.prototype.slice.call(document.querySelectorAll("details.req"));
  var q = document.getElementById("q"), area = document.getElementById("area"), level = document.getElementById("level");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=verdict]"));
  var shown = document.getElementById("shown"), nomatch = document.getElementById("nomatch");

  function el(tag, cls, txt) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (txt !== undefined && txt !== null) node.textContent = String(txt);
    return node;
  }

  function apply() {
    var words = (q.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    var verdicts = {};
    boxes.forEach(function (b) { verdicts[b.value] = b.checked; });
    var count = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute("data-text") || "";
      var ok = verdicts[card.getAttribute("data-verdict")] &&
        (!area.value || card.getAttribute("data-area") === area.value) &&
        (!level.value || card.getAttribute("data-level") === level.value) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      card.hidden = !ok;
      if (ok) count++;
    });
    document.querySelectorAll("section.group").forEach(function (section) {
      if (section.id === "overview" || section.id === "failures") return;
      section.hidden = !section.querySelector("details.req:not([hidden])");
    });
    shown.textContent = count + " of " + cards.length + " requirements";
    nomatch.hidden = count > 0;
  }

  [q, area, level].forEach(function (node) { node.addEventListener("input", apply); });
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  document.querySelectorAll(".counts a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var only = link.getAttribute("data-verdict");
      boxes.forEach(function (b) { b.checked = b.value === only; });
      apply();
      var first = cards.filter(function (c) { return !c.hidden; })[0];
      if (first) { first.open = true; first.scrollIntoView({block: "start"}); }
    });
  });

  function headers(obj) {
    // collapsed: the body is what one looks at first
    var box = el("details", "headers");
    box.appendChild(el("summary", null, Object.keys(obj || {}).length + " headers"));
    box.appendChild(kv(el("table"), obj));
    return box;
  }

  function kv(table, obj) {
    Object.keys(obj || {}).forEach(function (k) {
      var row = el("tr");
      row.appendChild(el("td", null, k));
      row.appendChild(el("td", null, obj[k]));
      table.appendChild(row);
    });
    if (!table.firstChild) { var r = el("tr"); r.appendChild(el("td", "muted", "(none kept)")); table.appendChild(r); }
    return table;
  }

  function prettyText(text) {
    if (typeof text !== "string") return JSON.stringify(text, null, 2);
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  function eventText(raw) {
    // "data: {...}" lines: pretty-print the JSON payload when it is a single data line
    var match = /^data: ?([\s\S]*)$/.exec(raw);
    if (match && raw.indexOf("\n") < 0) {
      try { return "data: " + JSON.stringify(JSON.parse(match[1])); } catch (e) { return raw; }
    }
    return raw;
  }

  function siblings(index, ex, highlight, origin) {
    // the other requests of the same test: a scenario may judge one request after making several
    var nav = el("p", "siblings"), count = 0;
    data.exchanges.forEach(function (other, j) {
      if (other.test !== ex.test) return;
      count++;
      var b = el("button", j === index ? "sib current" : "sib", String(count));
      b.type = "button";
      b.title = other.method + " " + other.path + " → " + other.status;
      b.setAttribute("data-to", String(j));
      b.setAttribute("data-origin", String(origin));
      b.setAttribute("data-hl", String(j === origin ? highlight : -1));
      nav.appendChild(b);
    });
    if (count < 2) return null;
    nav.insertBefore(el("span", "muted", "requests of this test: "), nav.firstChild);
    return nav;
  }

  function viewer(index, highlight, origin) {
    var ex = data.exchanges[index];
    var box = el("div");
    if (!ex) { box.appendChild(el("p", "muted", "This exchange was not kept in the results.")); return box; }
    var nav = siblings(index, ex, highlight, origin === undefined ? index : origin);
    if (nav) box.appendChild(nav);
    var type = (ex.headers || {})["content-type"];
    var line = ex.method + " " + ex.path + "  →  " + (ex.status === null || ex.status === undefined ? "no response" : "HTTP " + ex.status) +
      (type ? " " + type : "") +
      "  (" + ex.elapsed + " s" + (ex.first_byte !== undefined ? ", first byte " + ex.first_byte + " s" : "") + ")";
    box.appendChild(el("p", "line", line));
    if (ex.error) box.appendChild(el("p", "problems", "transport: " + ex.error));
    var sides = el("div", "sides"), req = el("div"), res = el("div");
    req.appendChild(el("h4", null, "Request (as sent; secrets scrubbed)"));
    req.appendChild(headers(ex.request_headers));
    req.appendChild(el("pre", null, ex.request_body === null || ex.request_body === undefined ? "(no body)" : prettyText(ex.request_body)));
    res.appendChild(el("h4", null, "Response (as received)"));
    res.appendChild(headers(ex.headers));
    if (ex.events) {
      (ex.stream_problems || []).forEach(function (p) { res.appendChild(el("p", "problems", p)); });
      res.appendChild(el("p", "muted", ex.events.length + " SSE events" + (ex.events_dropped ? " (+" + ex.events_dropped + " not kept)" : "") +
        "; times are seconds from the request"));
      var wrap = el("div", "events"), table = el("table"), target = null;
      ex.events.forEach(function (event, i) {
        var row = el("tr" , i === highlight ? "hl" : "");
        row.appendChild(el("td", null, "#" + i + "  +" + Number(event[0]).toFixed(3) + " s"));
        var cell = el("td");
        cell.appendChild(el("pre", null, eventText(event[1])));
        row.appendChild(cell);
        table.appendChild(row);
        if (i === highlight) target = row;
      });
      wrap.appendChild(table);
      res.appendChild(wrap);
      if (target) setTimeout(function () { wrap.scrollTop = Math.max(0, target.offsetTop - 40); }, 0);
    } else {
      res.appendChild(el("pre", null, ex.body ? prettyText(ex.body) : "(empty body)"));
    }
    sides.appendChild(req);
    sides.appendChild(res);
    box.appendChild(sides);
    return box;
  }

  document.addEventListener("click", function (event) {
    var sib = event.target.closest ? event.target.closest("button.sib") : null;
    if (sib) {
      var holder = sib.closest(".exchange");
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      holder.appendChild(viewer(Number(sib.getAttribute("data-to")), Number(sib.getAttribute("data-hl")),
        Number(sib.getAttribute("data-origin"))));
      return;
    }
    var button = event.target.closest ? event.target.closest("button.show-ex") : null;
    if (!button) return;
    var panel = button.nextElementSibling;
    if (!panel.hidden) { panel.hidden = true; button.textContent = "Show the exchange"; return; }
    if (!panel.firstChild) {
      var hl = button.hasAttribute("data-hl") ? Number(button.getAttribute("data-hl")) : -1;
      panel.appendChild(viewer(Number(button.getAttribute("data-ex")), hl));
    }
    panel.hidden = false;
    button.textContent = "Hide the exchange";
  });

  function openHash() {
    var id = decodeURIComponent((location.hash || "").slice(1));
    var node = id ? document.getElementById(id) : null;
    if (node && node.tagName === "DETAILS") {
      if (node.hidden) { q.value = ""; area.value = ""; level.value = ""; boxes.forEach(function (b) { b.checked = true; }); apply(); }
      node.open = true;
      node.scrollIntoView({block: "start"});
    }
  }
  window.addEventListener("hashchange", openHash);
  apply();
  openHash();
})();
