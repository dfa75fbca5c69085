// 审核 keyboard shortcuts: j/k next/previous row, o open, a approve, r reject (focus the reason).
// Everything works without this file; the keys only click the same buttons and links.
// A reviewer can turn them off or choose other keys (WCAG 2.1.4, 单键快捷键): the board's 快捷键 panel, kept per
// reviewer in this browser (localStorage: a setting of this file only, there are no shortcuts without it).
(function () {
  "use strict";
  var current = -1, focusReason = false;
  var DEFAULTS = { next: "j", prev: "k", open: "o", approve: "a", reject: "r" };
  var NAMES = { next: "下一条", prev: "上一条", open: "查看", approve: "通过", reject: "不通过" };
  var ACTIONS = ["next", "prev", "open", "approve", "reject"];
  var settings = { enabled: true, keys: Object.assign({}, DEFAULTS) };

  function storageKey() {
    var panel = document.getElementById("shortcuts");
    return panel && panel.dataset.reviewer ? "kjks.review.shortcuts." + panel.dataset.reviewer : null;
  }
  function load() {
    var key = storageKey(), saved = null;
    try { saved = key && JSON.parse(window.localStorage.getItem(key) || "null"); } catch (err) { saved = null; }
    settings = { enabled: true, keys: Object.assign({}, DEFAULTS) };
    if (saved && typeof saved === "object") {
      settings.enabled = saved.enabled !== false;
      ACTIONS.forEach(function (a) {
        var k = saved.keys && saved.keys[a];
        if (typeof k === "string" && /^[a-z0-9]$/.test(k)) settings.keys[a] = k;
      });
    }
  }
  function store() {
    var key = storageKey();
    try { if (key) window.localStorage.setItem(key, JSON.stringify(settings)); } catch (err) { /* kept for this page only */ }
  }
  // The panel: its summary line says whether the keys are on and which they are; its form changes them.
  function show() {
    var panel = document.getElementById("shortcuts");
    if (!panel) return;
    panel.hidden = false;
    var state = document.getElementById("shortcuts-state");
    state.textContent = settings.enabled
      ? "已开启（" + ACTIONS.map(function (a) { return settings.keys[a] + " " + NAMES[a]; }).join("，") + "）"
      : "已关闭";
    document.getElementById("shortcuts-on").checked = settings.enabled;
    ACTIONS.forEach(function (a) { document.getElementById("key-" + a).value = settings.keys[a]; });
  }
  function save(e) {
    e.preventDefault();
    var keys = {}, seen = {}, error = "";
    ACTIONS.forEach(function (a) {
      var k = document.getElementById("key-" + a).value.trim().toLowerCase();
      if (!/^[a-z0-9]$/.test(k)) error = error || NAMES[a] + "的按键须为一个字母或数字";
      else if (seen[k]) error = error || "按键“" + k + "”用了两次：" + seen[k] + "和" + NAMES[a] + "不能相同";
      seen[k] = NAMES[a];
      keys[a] = k;
    });
    var message = document.getElementById("shortcuts-error");
    message.hidden = !error;
    message.textContent = error;
    if (error) return;
    settings = { enabled: document.getElementById("shortcuts-on").checked, keys: keys };
    store();
    show();
    document.getElementById("shortcuts-saved").textContent = "已保存：快捷键" + (settings.enabled ? "已开启" : "已关闭");
  }

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
    if (!settings.enabled || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input, textarea, select, [contenteditable], #shortcuts")) return;
    var action = null;
    ACTIONS.forEach(function (a) { if (settings.keys[a] === e.key) action = a; });
    var row, el;
    if (action === "next") { select(current + 1); }
    else if (action === "prev") { select(current - 1); }
    else if (action === "open") { row = selected(); if (row && (el = row.querySelector("[data-open]"))) el.click(); }
    else if (action === "approve") { row = selected(); if (row && (el = row.querySelector("[data-approve]"))) el.click(); }
    else if (action === "reject") {
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
    if (e.target.id === "shortcuts-default") {
      ACTIONS.forEach(function (a) { document.getElementById("key-" + a).value = DEFAULTS[a]; });
    }
  });
  document.addEventListener("submit", function (e) { if (e.target.id === "shortcuts-form") save(e); });
  function start() { load(); show(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  // A boosted navigation back to the board brings a new panel: fill it in.
  document.addEventListener("htmx:afterSettle", function (e) { if (e.target === document.body) start(); });
})();
