/* The attempt page: server-synchronised countdown, a retry queue for answers that failed to
   save (kept in localStorage so closing the browser loses nothing), and auto-submit at zero.
   HTMX sends each answer the moment it is chosen; this file only covers what can go wrong. */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var id = form.getAttribute("data-attempt");
  var KEY = "contest-attempt-" + id;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = document.getElementById("timer");
  var announce = document.getElementById("timer-announce");
  var pending = document.getElementById("pending");
  var deadline = performance.now() + Number(timer.getAttribute("data-remaining")) * 1000;
  var lastSeq = 0, closed = false, submitting = false, inFlight = {};

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function nextSeq() { var s = Date.now(); if (s <= lastSeq) s = lastSeq + 1; lastSeq = s; return s; }
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } }
  function keep(q) { try { localStorage.setItem(KEY, JSON.stringify(q)); } catch (e) { /* private mode */ } }
  function chosen(pos) {
    var out = [];
    form.querySelectorAll('input[name="q' + pos + '"]:checked').forEach(function (i) { out.push(i.value); });
    return out;
  }
  function stateEl(pos) { return document.getElementById("s" + pos); }
  function mark(pos, cls, text) {
    var el = stateEl(pos);
    if (el) { el.className = "save-state " + cls; el.textContent = text; }
  }
  function showPending() {
    var q = load(), keys = Object.keys(q);
    if (!keys.length) { pending.hidden = true; return; }
    var names = keys.map(function (p) { return msg("question") + " " + (Number(p) + 1); }).join(", ");
    pending.textContent = msg("pending").replace("{list}", names);
    pending.hidden = false;
  }
  function syncTimer(xhrOrResponse) {
    var r = xhrOrResponse.getResponseHeader ? xhrOrResponse.getResponseHeader("X-Remaining")
                                            : xhrOrResponse.headers.get("X-Remaining");
    if (r !== null && r !== "") deadline = performance.now() + Number(r) * 1000;
  }
  function closeAttempt(html) {
    closed = true;
    pending.hidden = false;
    pending.textContent = msg("closed");
    form.querySelectorAll("input,button").forEach(function (el) { el.disabled = true; });
    setTimeout(function () { window.location.assign("/attempts/" + id); }, 2500);
  }
  function settled(pos, seq) {
    var q = load();
    if (q[pos] && q[pos].s <= seq) { delete q[pos]; keep(q); }
    showPending();
  }
  function queueNow(pos) {
    var q = load();
    q[pos] = { v: chosen(pos), s: nextSeq() };
    keep(q);
    return q[pos].s;
  }

  // HTMX sends the answer; we stamp it with a sequence number and remember it until it lands.
  document.body.addEventListener("htmx:configRequest", function (e) {
    var fs = e.detail.elt.closest && e.detail.elt.closest("fieldset.question");
    if (!fs) return;
    var pos = fs.getAttribute("data-position");
    var seq = queueNow(pos);
    e.detail.parameters.seq = String(seq);
    e.detail.elt.setAttribute("data-seq", String(seq));
    inFlight[pos] = true;
    mark(pos, "saving", msg("saving"));
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var fs = e.detail.elt.closest && e.detail.elt.closest("fieldset.question");
    if (!fs) { if (e.detail.xhr) syncTimer(e.detail.xhr); return; }
    var pos = fs.getAttribute("data-position");
    inFlight[pos] = false;
    var xhr = e.detail.xhr;
    if (xhr && xhr.status === 409) { closeAttempt(); return; }
    if (e.detail.successful) { syncTimer(xhr); settled(pos, Number(e.detail.elt.getAttribute("data-seq"))); }
    else { mark(pos, "unsaved", msg("unsaved")); showPending(); }
  });

  function flush() {
    if (closed) return Promise.resolve();
    var q = load();
    return Promise.all(Object.keys(q).map(function (pos) {
      if (inFlight[pos]) return null;
      var item = q[pos], body = new URLSearchParams();
      item.v.forEach(function (v) { body.append("q" + pos, v); });
      body.append("seq", String(item.s));
      inFlight[pos] = true;
      mark(pos, "saving", msg("saving"));
      return fetch("/attempts/" + id + "/answers/" + pos, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "HX-Request": "true" }
      }).then(function (r) {
        inFlight[pos] = false;
        if (r.status === 409) { closeAttempt(); return; }
        if (!r.ok) throw new Error(String(r.status));
        syncTimer(r);
        return r.text().then(function (html) { stateEl(pos).innerHTML = html; settled(pos, item.s); });
      }).catch(function () { inFlight[pos] = false; mark(pos, "unsaved", msg("unsaved")); showPending(); });
    }));
  }

  function autoSubmit() {
    if (submitting || closed) return;
    submitting = true;
    var done = function () { document.getElementById("auto-submit").submit(); };
    flush().then(done, done);
  }

  function tick() {
    var left = Math.max(0, Math.floor((deadline - performance.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    timer.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    timer.className = "timer" + (left <= 60 ? " urgent" : "");
    if (left === 300) announce.textContent = msg("five");
    if (left === 60) announce.textContent = msg("one");
    if (left === 0) { autoSubmit(); return; }
    setTimeout(tick, 1000 - (performance.now() % 1000));
  }

  // Answers chosen before a reload or while offline come back from the queue and are resent.
  var restored = load();
  Object.keys(restored).forEach(function (pos) {
    form.querySelectorAll('input[name="q' + pos + '"]').forEach(function (i) {
      i.checked = restored[pos].v.indexOf(i.value) !== -1;
    });
    mark(pos, "unsaved", msg("unsaved"));
  });
  showPending();
  flush();
  setInterval(flush, 4000);
  window.addEventListener("online", flush);
  tick();
})();
