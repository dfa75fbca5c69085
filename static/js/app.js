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

  // 生僻字: open the panel, remember the cursor of the name field, insert the picked character there.
  var target = null, selStart = 0, selEnd = 0;
  function rememberCursor() {
    if (target) { selStart = target.selectionStart || 0; selEnd = target.selectionEnd || 0; }
  }
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-rare-picker]");
    var dialog = document.getElementById("rare-dialog");
    if (opener && dialog && dialog.showModal) {
      e.preventDefault();
      target = document.getElementById(opener.dataset.rarePicker);
      rememberCursor();
      dialog.showModal();
      var q = dialog.querySelector("input[name=pinyin]");
      if (q) q.focus();
      return;
    }
    var pick = e.target.closest("[data-char]");
    if (pick && target) {
      var v = target.value, ch = pick.dataset.char;
      target.value = v.slice(0, selStart) + ch + v.slice(selEnd);
      selStart = selEnd = selStart + ch.length;
      target.setSelectionRange(selStart, selEnd);
      if (dialog) dialog.close();
      target.focus();
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

  function focusSummary(root) {
    var s = root.querySelector && root.querySelector(".error-summary");
    if (s) s.focus();
  }
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
  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); syncAgree(document); });
  document.addEventListener("htmx:afterSwap", function (e) { startCountdowns(document); syncAgree(document); focusSummary(e.detail.target); });
})();
