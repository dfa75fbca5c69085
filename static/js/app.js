// Enhancements only: every page works without this file (see the no-JavaScript browser test).
(function () {
  "use strict";

  // 免费获取验证码: count down on the button the server marked; the server refuses early sends anyway.
  function startCountdowns(root) {
    root.querySelectorAll("[data-countdown]").forEach(function (btn) {
      if (btn.dataset.counting) return;
      btn.dataset.counting = "1";
      var left = parseInt(btn.dataset.countdown, 10);
      btn.disabled = true;
      var tick = function () {
        if (left <= 0) { btn.disabled = false; btn.textContent = "免费获取验证码"; return; }
        btn.textContent = left + "秒后重新获取";
        left -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    });
  }

  // 生僻字: the button beside the name field opens the panel (a <dialog>: Escape closes it and focus goes back
  // to the button), remembers the cursor of the name field and inserts the picked character there.
  var target = null, opener = null, picked = false, selStart = 0, selEnd = 0;
  function rememberCursor() {
    if (target) { selStart = target.selectionStart || 0; selEnd = target.selectionEnd || 0; }
  }
  document.addEventListener("click", function (e) {
    var open = e.target.closest("[data-rare-picker]");
    var dialog = document.getElementById("rare-dialog");
    if (open && dialog && dialog.showModal) {
      e.preventDefault();
      opener = open;
      picked = false;
      target = document.getElementById(open.dataset.rarePicker);
      rememberCursor();
      dialog.showModal();
      rovingGrids(dialog);
      var q = dialog.querySelector("input[name=pinyin]");
      if (q) q.focus();
      return;
    }
    var pick = e.target.closest("[data-char]");
    if (pick && target) {
      e.preventDefault();
      var v = target.value, ch = pick.dataset.char;
      target.value = v.slice(0, selStart) + ch + v.slice(selEnd);
      selStart = selEnd = selStart + ch.length;
      picked = true;
      if (dialog) dialog.close();
      target.focus();
      target.setSelectionRange(selStart, selEnd);
      return;
    }
    if (e.target.closest("[data-rare-close]") && dialog) { dialog.close(); return; }
    var closer = e.target.closest("[data-modal-close]");
    if (closer) { e.preventDefault(); var m = closer.closest("dialog"); if (m) m.remove(); return; }
    var cap = e.target.closest("[data-captcha-refresh]");
    if (cap) {
      e.preventDefault();
      var img = cap.querySelector("img");
      img.src = "/captcha.png?t=" + Date.now();
      var input = document.getElementById("captcha");
      if (input) { input.value = ""; input.focus(); }
    }
  });
  document.addEventListener("keyup", function (e) { if (e.target === target) rememberCursor(); });

  // ---- 生僻字 by keyboard and pointer (issue 14) ----------------------------------------------------------
  // The trigger is a real <button> (Enter and Space; without JavaScript it submits the form to the search page).
  // Focus goes back to the trigger when the panel closes without a pick (Escape, 关闭).
  document.addEventListener("close", function (e) {
    if (e.target.id === "rare-dialog" && !picked && opener && document.body.contains(opener)) opener.focus();
  }, true);
  // The results are one Tab stop (roving tabindex): arrow keys move within the grid, Home / End to the
  // first / last character, ArrowDown from the 拼音 field into it. Without this file every button is a Tab stop.
  function rovingGrids(root) {
    root.querySelectorAll(".rare-grid").forEach(function (grid) {
      var buttons = grid.querySelectorAll("button[data-char]");
      if (!buttons.length || grid.querySelector("button[data-char][tabindex='0']")) return;
      buttons.forEach(function (b, i) { b.tabIndex = i ? -1 : 0; });
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || !e.target.closest) return;
    if (e.key === "ArrowDown" && e.target.matches(".rare-search input[name=pinyin]")) {
      var box = e.target.closest("dialog, section");
      var first = box && box.querySelector(".rare-grid button[tabindex='0']");
      if (first) { e.preventDefault(); first.focus(); }
      return;
    }
    var btn = e.target.closest(".rare-grid button[data-char]");
    if (!btn) return;
    var list = Array.prototype.slice.call(btn.closest(".rare-grid").querySelectorAll("button[data-char]"));
    var i = list.indexOf(btn), cols = 1;
    while (cols < list.length && list[cols].offsetTop === list[0].offsetTop) cols += 1;
    var to = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols, Home: 0, End: list.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    if (to < 0 || to >= list.length) return;
    btn.tabIndex = -1;
    list[to].tabIndex = 0;
    list[to].focus();
  });
  // A search runs once per input: not again when the 拼音 field loses focus to a press on a result (which
  // replaced the list under the pointer: the first click was lost), nor for 查找 with nothing changed (which
  // then moves into the results instead).
  var shownSearch = null, sentSearch = null;
  function searchOf(form) { return new URLSearchParams(new FormData(form)).toString(); }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches("form.rare-search")) return;
    var q = searchOf(form);
    if (q === sentSearch || q === shownSearch) {
      e.preventDefault();
      var cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
      var first = cause && cause.type === "submit" && form.parentNode.querySelector(".rare-grid button[tabindex='0']");
      if (first) first.focus();
      return;
    }
    sentSearch = q;
    e.detail.xhr.rareSearch = q;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.xhr && e.detail.xhr.rareSearch === sentSearch) sentSearch = null;
  });
  // And a list is never replaced under a pointer pressing it: the new one waits until the button is released
  // (after its click).
  var pressing = false, deferred = null;
  document.addEventListener("pointerdown", function (e) { pressing = !!(e.target.closest && e.target.closest("#rare-results")); }, true);
  function released() {
    if (!pressing) return;
    pressing = false;
    setTimeout(function () {
      var d = deferred;
      deferred = null;
      if (d && document.getElementById("rare-results") && window.htmx) {
        window.htmx.swap("#rare-results", d.html, { swapStyle: "outerHTML" });
        shownSearch = d.search;
        rovingGrids(document);
      }
    }, 0);
  }
  document.addEventListener("pointerup", released, true);
  document.addEventListener("pointercancel", released, true);
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "rare-results" || !e.detail.shouldSwap) return;
    if (pressing) {
      e.detail.shouldSwap = false;
      deferred = { html: e.detail.serverResponse, search: e.detail.xhr && e.detail.xhr.rareSearch };
    } else if (e.detail.xhr && e.detail.xhr.rareSearch) {
      shownSearch = e.detail.xhr.rareSearch;
    }
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "rare-results") rovingGrids(document);
  });
  document.addEventListener("DOMContentLoaded", function () { rovingGrids(document); });

  // ---- Focus after a swap (issue 14) ----------------------------------------------------------------------
  // After every htmx swap focus goes where the user's attention is, never lost to <body>. In this order:
  //  1. the control that made the request names it, data-focus-after="#a, #b" (the first selector that finds an
  //     element): actions in the middle of a page (上传照片, a material's 上传) keep the page where it was;
  //  2. the new content names it: data-focus="#id", or a bare data-focus on the element itself;
  //  3. an error summary in the new content;
  //  4. a new page (a boosted swap of <body> at another address): its <h1>, from the top;
  //  5. the focused element was swapped away: the first control of the new content (or the content itself).
  // htmx's own steps run before (autofocus, an element of the same id refocused): kept unless 1-3 apply.
  var CONTROLS = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]";
  function focusOn(el, keep) {
    if (!el) return false;
    if (!el.matches(CONTROLS)) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    if (document.activeElement !== el) return false;
    if (!keep) el.scrollIntoView({ block: "nearest" });
    else {
      var r = el.getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight) el.scrollIntoView({ block: "center" });
    }
    return true;
  }
  function firstOf(selectors) {
    var list = (selectors || "").split(",");
    for (var i = 0; i < list.length; i++) {
      var el = list[i].trim() && document.querySelector(list[i].trim());
      if (el) return el;
    }
    return null;
  }
  function named(root) {
    var marked = root.matches && root.matches("[data-focus]") ? root : root.querySelector && root.querySelector("[data-focus]");
    if (!marked) return null;
    var sel = marked.getAttribute("data-focus");
    marked.removeAttribute("data-focus");
    return sel ? document.querySelector(sel) : marked;
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.defaultPrevented || !e.detail.xhr) return;
    var cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var by = (cause && cause.submitter) || e.detail.elt;
    var declared = by && by.closest && by.closest("[data-focus-after]");
    if (!declared && e.detail.elt && e.detail.elt.closest) declared = e.detail.elt.closest("[data-focus-after]");
    e.detail.xhr.focusPlan = { after: declared && declared.getAttribute("data-focus-after"), y: window.scrollY,
                               path: location.pathname, done: false };
  });
  document.addEventListener("htmx:beforeSwap", function (e) {
    var plan = e.detail.xhr && e.detail.xhr.focusPlan, t = e.detail.target;
    if (plan && t) plan.inside = t === document.body || t.contains(document.activeElement);
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    var plan = e.detail.xhr && e.detail.xhr.focusPlan;
    if (!plan || plan.done) return;
    plan.done = true;
    setTimeout(function () {  // once every element of the answer (out-of-band ones too) is settled
      var t = e.detail.target, page = t === document.body;
      var fresh = t && document.body.contains(t) ? t : (t && t.id && document.getElementById(t.id)) || document.body;
      if (plan.after && (page || plan.inside)) {
        window.scrollTo(window.scrollX, plan.y);
        if (focusOn(firstOf(plan.after), true)) return;
      }
      if (focusOn(named(document))) return;
      if (focusOn(fresh.querySelector(".error-summary") || (fresh.matches(".error-summary") && fresh))) return;
      if (page && location.hash) {  // a link to a place in the new page (/help#...), or back to this one's
        var anchor = document.getElementById(decodeURIComponent(location.hash.slice(1)));
        if (anchor && focusOn(anchor)) return;
      }
      if (page && location.pathname !== plan.path) {
        window.scrollTo(0, 0);
        if (focusOn(document.querySelector("main h1") || document.getElementById("main"), true)) return;
      }
      var lost = !document.activeElement || document.activeElement === document.body || !document.body.contains(document.activeElement);
      if (plan.inside && lost && !page) focusOn(fresh.querySelector(CONTROLS) || fresh);
      else if (plan.inside && lost) focusOn(document.querySelector("main h1") || document.getElementById("main"), true);
    }, 0);
  });
  // A boosted form that succeeded is answered with the page it leads to (web/render.FollowedPage: swapped as any
  // boosted page, above); where the server could not, and for htmx's other requests, with HX-Redirect, a full
  // page load: an action in the middle of a page (1. above) carries its plan across it in sessionStorage.
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    var plan = e.detail.xhr && e.detail.xhr.focusPlan, to = e.detail.xhr && e.detail.xhr.getResponseHeader("HX-Redirect");
    if (!to) return;
    var url = new URL(to, location.href);
    if (plan && plan.after) {
      try {
        sessionStorage.setItem("kjks.focus", JSON.stringify({ after: plan.after, y: plan.y, path: url.pathname, at: Date.now() }));
      } catch (err) { /* no storage: the page loads as any other */ }
    }
    // Back to this very page with a #fragment: htmx's location.href would only scroll to it; load it again.
    if (url.hash && url.pathname + url.search === location.pathname + location.search) {
      e.preventDefault();
      history.replaceState(history.state, "", url.href);
      location.reload();
    }
  });
  // A page that arrives with an error summary (a page load, not a swap) puts focus on it too.
  document.addEventListener("DOMContentLoaded", function () {
    var carried = null;
    try { carried = JSON.parse(sessionStorage.getItem("kjks.focus") || "null"); sessionStorage.removeItem("kjks.focus"); } catch (err) { carried = null; }
    var s = document.querySelector(".error-summary");
    if (s && (!document.activeElement || document.activeElement === document.body)) { focusOn(s); return; }
    if (carried && carried.path === location.pathname && Date.now() - carried.at < 30000) {
      window.scrollTo(window.scrollX, carried.y);
      var el = firstOf(carried.after);
      if (!focusOn(el, true)) return;
      // The browser may scroll again as the page finishes (to a #fragment, or where a reload was): in view still.
      window.addEventListener("load", function () {
        setTimeout(function () { if (document.activeElement === el) focusOn(el, true); }, 0);
      });
    }
  });
  // 完全同意 must be chosen before 已阅读并知晓 goes on (the server refuses it too).
  function syncAgree(root) {
    root.querySelectorAll("[data-enables]").forEach(function (box) {
      var btn = document.getElementById(box.dataset.enables);
      if (btn) btn.disabled = !box.checked;
    });
  }
  document.addEventListener("change", function (e) { if (e.target.matches("[data-enables]")) syncAgree(document); });
  // Upload progress (htmx's XHR progress events drive the bar of the form being sent).
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = document.getElementById("upload-progress");
    if (bar && e.detail.lengthComputable) { bar.hidden = false; bar.value = e.detail.loaded / e.detail.total * 100; }
  });
  // 系统繁忙 (503, web/admission.py): the page stays as it is, a notice says so, and the same request is sent
  // again after Retry-After seconds (the server refused it before reading it: nothing was done twice).
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status !== 503) return;
    e.detail.shouldSwap = false;
    var seconds = parseInt(xhr.getResponseHeader("Retry-After"), 10) || 5;
    var elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    var cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var notice = document.getElementById("busy-notice");
    var left = seconds;
    var tick = function () {
      if (notice) { notice.hidden = false; notice.textContent = "系统繁忙：当前访问人数较多，您的操作尚未处理，将在 " + left + " 秒后自动重试。"; }
      if (left <= 0) {
        if (notice) notice.hidden = true;
        if (!elt || !document.body.contains(elt)) return;
        if (elt.tagName === "FORM" && elt.requestSubmit) elt.requestSubmit();
        else if (cause) elt.dispatchEvent(new Event(cause.type, { bubbles: true, cancelable: true }));
        return;
      }
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  });
  // The 系统繁忙 page of a refused page load (templates/errors/busy.html): it counts down and reloads itself, unless
  // the reader presses 停止自动重试 (then 立即重试 stays, as without JavaScript).
  function busyPage() {
    var card = document.querySelector("#busy-card[data-retry-after]");
    if (!card) return;
    var left = parseInt(card.getAttribute("data-retry-after"), 10) || 5, timer = null;
    var message = document.getElementById("busy-message"), stop = document.getElementById("busy-stop");
    var tick = function () {
      if (left <= 0) { location.reload(); return; }
      message.textContent = "当前访问人数较多，您的请求尚未处理。页面将在 " + left + " 秒后自动重试，请勿关闭本页。";
      left -= 1;
      timer = setTimeout(tick, 1000);
    };
    stop.hidden = false;
    stop.addEventListener("click", function () {
      clearTimeout(timer);
      stop.hidden = true;
      message.textContent = "已停止自动重试。当前访问人数较多，请稍后点击“立即重试”。";
      document.getElementById("busy-retry").focus();
    });
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); syncAgree(document); busyPage(); });
  document.addEventListener("htmx:afterSwap", function () { startCountdowns(document); syncAgree(document); });
})();
