"use strict";
// Search and the two row filters of the matrix; rows are shown or hidden, never rewritten.
(function () {
  var q = document.getElementById("q"), failing = document.getElementById("failing"), differs = document.getElementById("differs");
  function apply() {
    var words = (q.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll("tbody.area").forEach(function (group) {
      var any = false;
      group.querySelectorAll("tr.req").forEach(function (row) {
        var text = row.getAttribute("data-text") || "";
        var ok = (!failing.checked || row.getAttribute("data-failing") !== "0") &&
          (!differs.checked || row.getAttribute("data-differs") === "1") &&
          words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !ok;
        any = any || ok;
      });
      group.hidden = !any;
    });
  }
  [q, failing, differs].forEach(function (node) { node.addEventListener("input", apply); node.addEventListener("change", apply); });
  apply();
})();
