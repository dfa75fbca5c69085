// 审核 keyboard shortcuts: j/k next/previous row, o open, a approve, r reject (focus the reason).
// Everything works without this file; the keys only click the same buttons and links.
(function () {
  "use strict";
  var current = -1, focusReason = false;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-table tr[data-row]")); }

  function select(i) {
    var list = rows();
    if (!list.length) return null;
    current = Math.max(0, Math.min(i, list.length - 1));
    list.forEach(function (r) { r.classList.remove("selected"); });
    list[current].classList.add("selected");
    list[current].scrollIntoView({ block: "nearest" });
    return list[current];
  }

  function selected() { var list = rows(); return list[current] || select(0); }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input, textarea, select, [contenteditable]")) return;
    var row, el;
    if (e.key === "j") { select(current + 1); }
    else if (e.key === "k") { select(current - 1); }
    else if (e.key === "o") { row = selected(); if (row && (el = row.querySelector("[data-open]"))) el.click(); }
    else if (e.key === "a") { row = selected(); if (row && (el = row.querySelector("[data-approve]"))) el.click(); }
    else if (e.key === "r") {
      row = selected();
      var open = document.querySelector('#detail [data-app="' + (row ? row.id.slice(4) : "") + '"]');
      if (open) { focusOn(); } else if (row && (el = row.querySelector("[data-open]"))) { focusReason = true; el.click(); }
    } else { return; }
    e.preventDefault();
  });

  function focusOn() { var reason = document.getElementById("reason"); if (reason) reason.focus(); }

  document.addEventListener("htmx:afterSettle", function (e) {
    if (focusReason && e.target.id === "detail") { focusReason = false; focusOn(); }
    if (e.target.id === "queue") { current = -1; }
    else if (current >= 0 && e.target.matches && e.target.matches("tr[data-row]")) { select(current); }
  });
  // Clicking a name selects its row too, so the keys continue from there.
  document.addEventListener("click", function (e) {
    var row = e.target.closest("#queue-table tr[data-row]");
    if (row) select(rows().indexOf(row));
  });
})();
