/* The attempt page: server-synchronised countdown, a retry queue for answers that failed to
   save (kept in localStorage so closing the browser loses nothing), whole-page saves and the
   submit that stay on the page when the connection is gone, and auto-submit at zero.
   HTMX sends each answer the moment it is chosen; this file covers what can go wrong.

   Order of saves: the server gives each rendering of the page a number (data-page), later than
   every page whose answers it stores; every save from this page carries that number and the
   page's own change count (seq). The server keeps, per question, the save with the highest
   (page, seq), so a late retry never replaces a newer choice, and this page's clock plays no
   part. A save the server did not apply answers with X-Stored: the answer it keeps. */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var id = form.getAttribute("data-attempt");
  var page = Number(form.getAttribute("data-page"));
  var KEY = "contest-attempt-" + id;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = document.getElementById("timer");
  var announce = document.getElementById("timer-announce");
  var pending = document.getElementById("pending");
  var allState = document.getElementById("save-all-state");
  var deadline = performance.now() + Number(timer.getAttribute("data-remaining")) * 1000;
  var seqCount = 0, closed = false, submitting = false, inFlight = {};

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function nextSeq() { seqCount += 1; return seqCount; }
  // (p, s) pairs in the server's order; page numbers are milliseconds, exact in a double.
  function notAfter(item, p, s) { return item.p < p || (item.p === p && item.s <= s); }
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } }
  function keep(q) { try { localStorage.setItem(KEY, JSON.stringify(q)); } catch (e) { /* private mode */ } }
  function chosen(pos) {
    var out = [];
    form.querySelectorAll('input[name="q' + pos + '"]:checked').forEach(function (i) { out.push(i.value); });
    return out;
  }
  function show(pos, values) {
    form.querySelectorAll('input[name="q' + pos + '"]').forEach(function (i) {
      i.checked = values.indexOf(i.value) !== -1;
    });
  }
  function stateEl(pos) { return document.getElementById("s" + pos); }
  function mark(pos, cls, text) {
    var el = stateEl(pos);
    if (el) { el.className = "save-state " + cls; el.textContent = text; }
  }
  function say(text, cls) {
    if (!allState) return;
    allState.className = "save-state " + (cls || "");
    allState.textContent = text;
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
  function closeAttempt() {
    closed = true;
    pending.hidden = false;
    pending.textContent = msg("closed");
    form.querySelectorAll("input,button").forEach(function (el) { el.disabled = true; });
    setTimeout(function () { window.location.assign("/attempts/" + id); }, 2500);
  }
  // The server answered the save (p, s) of question pos; `stored` is X-Stored when it kept
  // another answer. The queue forgets what the server has; a newer unsent choice stays.
  function settled(pos, p, s, stored) {
    var q = load();
    var newer = q[pos] && !notAfter(q[pos], p, s);
    if (!newer) {
      if (q[pos]) { delete q[pos]; keep(q); }
      if (stored !== null && stored !== undefined) show(pos, stored === "" ? [] : stored.split(","));
    }
    showPending();
  }
  // A whole-page save (p, s) carried every answer on the page: nothing older needs resending.
  function settledAll(p, s) {
    var q = load();
    Object.keys(q).forEach(function (pos) {
      if (notAfter(q[pos], p, s) && !inFlight[pos]) {
        delete q[pos];
        var el = stateEl(pos);
        if (el && el.classList.contains("unsaved")) mark(pos, "saved", msg("saved"));
      }
    });
    keep(q);
    showPending();
  }
  function queueNow(pos) {
    var q = load();
    q[pos] = { v: chosen(pos), p: page, s: nextSeq() };
    keep(q);
    return q[pos].s;
  }
  function offline(text) {
    say(text, "unsaved");
    showPending();
  }

  // HTMX sends the answer; we stamp it with the page's order and remember it until it lands.
  document.body.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    var fs = elt.closest && elt.closest("fieldset.question");
    if (!fs) {
      if (/\/review$/.test(elt.getAttribute("hx-post") || "")) {
        // The review ("Submit…") sends the whole page: ordered after every choice made on it.
        var seq = nextSeq();
        e.detail.parameters.page = String(page);
        e.detail.parameters.seq = String(seq);
        elt.setAttribute("data-seq", String(seq));
      }
      return;
    }
    var pos = fs.getAttribute("data-position");
    var s = queueNow(pos);
    e.detail.parameters.page = String(page);
    e.detail.parameters.seq = String(s);
    elt.setAttribute("data-seq", String(s));
    inFlight[pos] = true;
    mark(pos, "saving", msg("saving"));
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    var fs = elt.closest && elt.closest("fieldset.question");
    if (!fs) {
      if (xhr && xhr.status) syncTimer(xhr);
      if (elt.hasAttribute("data-seq")) {
        if (e.detail.successful) settledAll(page, Number(elt.getAttribute("data-seq")));
        else if (!xhr || !xhr.status) offline(msg("offline-submit"));
      }
      return;
    }
    var pos = fs.getAttribute("data-position");
    inFlight[pos] = false;
    if (xhr && xhr.status === 409) { closeAttempt(); return; }
    if (e.detail.successful) {
      syncTimer(xhr);
      settled(pos, page, Number(elt.getAttribute("data-seq")), xhr.getResponseHeader("X-Stored"));
    } else { mark(pos, "unsaved", msg("unsaved")); showPending(); }
  });

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "HX-Request": "true" }
    });
  }

  function flush() {
    if (closed) return Promise.resolve();
    var q = load();
    return Promise.all(Object.keys(q).map(function (pos) {
      if (inFlight[pos]) return null;
      var item = q[pos], body = new URLSearchParams();
      item.v.forEach(function (v) { body.append("q" + pos, v); });
      body.append("page", String(item.p));
      body.append("seq", String(item.s));
      inFlight[pos] = true;
      mark(pos, "saving", msg("saving"));
      return post("/attempts/" + id + "/answers/" + pos, body).then(function (r) {
        inFlight[pos] = false;
        if (r.status === 409) { closeAttempt(); return; }
        if (!r.ok) throw new Error(String(r.status));
        syncTimer(r);
        var stored = r.headers.get("X-Stored");
        return r.text().then(function (text) {
          var el = stateEl(pos);
          if (el) { el.className = "save-state" + (stored === null ? " saved" : ""); el.textContent = text; }
          settled(pos, item.p, item.s, stored);
        });
      }).catch(function () { inFlight[pos] = false; mark(pos, "unsaved", msg("unsaved")); showPending(); });
    }));
  }

  // "Save answers": the whole page, sent without leaving it, so a lost connection leaves the
  // person on the page with their answers (not on the browser's offline page).
  form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.getAttribute("formaction")) return;  // the review, by HTMX
    e.preventDefault();
    if (closed) return;
    var seq = nextSeq(), body = new URLSearchParams(new FormData(form));
    body.set("page", String(page));
    body.set("seq", String(seq));
    say(msg("saving"), "saving");
    post(form.getAttribute("action"), body).then(function (r) {
      if (r.redirected) { window.location.assign(r.url); return; }
      if (!r.ok) throw new Error(String(r.status));
      return r.text().then(function (text) {
        say(text, r.headers.get("X-Save-Applied") === "0" ? "unsaved" : "saved");
        settledAll(page, seq);
      });
    }).catch(function () { offline(msg("offline")); });
  });

  // The submit on the confirmation that the review brings: also without leaving the page.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f === form || !/\/submit$/.test(f.getAttribute("action") || "") || f.id === "auto-submit") return;
    e.preventDefault();
    post(f.getAttribute("action"), new URLSearchParams(new FormData(f))).then(function (r) {
      var to = r.headers.get("HX-Redirect");
      if (to) { window.location.assign(to); return; }
      if (r.redirected) { window.location.assign(r.url); return; }
      // The server could not take it (the system is busy, 503): not submitted, like no connection.
      if (r.status >= 500) throw new Error(String(r.status));
      return r.text().then(function (html) {
        var area = document.getElementById("submit-area");
        if (area) area.outerHTML = html;  // the confirmation again, with the server's reason
      });
    }).catch(function () {
      var area = document.getElementById("submit-area"), note = area && area.querySelector(".offline");
      if (area && !note) {
        note = document.createElement("p");
        note.className = "alert offline";
        note.setAttribute("role", "alert");
        area.insertBefore(note, area.firstChild);
      }
      if (note) note.textContent = msg("offline-submit");
    });
  }, true);

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
    if (left === 0) {
      if (navigator.onLine === false) { offline(msg("offline-submit")); }
      autoSubmit();
      return;
    }
    setTimeout(tick, 1000 - (performance.now() % 1000));
  }

  // With this script running, each choice is saved at once and the countdown is live.
  document.getElementById("how-saved").hidden = true;
  document.getElementById("how-saved-js").hidden = false;
  document.getElementById("countdown").hidden = false;
  document.getElementById("ends").hidden = true;  // the countdown says it, in less room

  // Answers chosen before a reload or while offline come back from the queue, shown as chosen,
  // and are sent again as this page's (the newest) choices.
  var restored = load();
  Object.keys(restored).forEach(function (pos) {
    restored[pos] = { v: restored[pos].v, p: page, s: nextSeq() };
    show(pos, restored[pos].v);
    mark(pos, "unsaved", msg("unsaved"));
  });
  keep(restored);
  showPending();
  flush();
  setInterval(flush, 4000);
  window.addEventListener("online", function () { say("", ""); flush(); });
  tick();
})();
