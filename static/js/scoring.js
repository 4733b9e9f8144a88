// Scoring page, made faster to use. Everything here is an enhancement: without it the form
// posts as before and the server computes (and saves) the score.
//  - the weighted total follows the levels as they are chosen, computed exactly as
//    rubrics.services.weighted_score does (integers, then half-up to two decimals);
//  - keyboard shortcuts on a criterion's levels (1, 2, 3… pick a level; J / K next / previous
//    criterion), never while typing in a text field;
//  - the scoring in progress is saved as the mentor's draft a moment after each change (and
//    when the tab is closed), so it comes back when the page opens again.
(function () {
  "use strict";
  var form = document.getElementById("scoring-form");
  if (!form) { return; }
  var criteria = Array.prototype.slice.call(form.querySelectorAll("fieldset.rubric-criterion[data-weight]"));

  // --- Running total ---------------------------------------------------------------------
  var totalValue = document.getElementById("running-total-value");

  // hundredths of (100 × reached / possible), rounded half up, with integers only (the
  // server's Decimal arithmetic is exact for these sizes; floating point is not).
  function weightedHundredths(reached, possible) {
    if (!possible) { return 0; }
    return Math.floor((2 * 10000 * reached + possible) / (2 * possible));
  }

  function formatHundredths(hundredths) {
    var cents = hundredths % 100;
    return Math.floor(hundredths / 100) + "." + (cents < 10 ? "0" : "") + cents;
  }

  function updateTotal() {
    if (!totalValue) { return; }
    var reached = 0, possible = 0, chosen = 0;
    criteria.forEach(function (fieldset) {
      var weight = parseInt(fieldset.getAttribute("data-weight"), 10);
      var top = 0;
      var picked = null;
      Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=radio][data-points]"), function (radio) {
        var points = parseInt(radio.getAttribute("data-points"), 10);
        if (points > top) { top = points; }
        if (radio.checked) { picked = points; }
      });
      possible += weight * top;
      if (picked !== null) { chosen += 1; reached += weight * picked; }
    });
    totalValue.textContent = "";
    if (chosen === criteria.length && criteria.length) {
      var strong = document.createElement("strong");
      strong.textContent = formatHundredths(weightedHundredths(reached, possible));
      totalValue.appendChild(strong);
      totalValue.appendChild(document.createTextNode(" / 100"));
    } else {
      totalValue.textContent = "choose a level for every criterion (" + chosen + " of " + criteria.length + " chosen)";
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.type === "radio") { updateTotal(); }
  });
  updateTotal();

  // --- Keyboard shortcuts ----------------------------------------------------------------
  var help = document.getElementById("scoring-shortcuts");
  if (help) { help.hidden = false; }

  function isTyping(target) {
    if (!target) { return false; }
    if (target.isContentEditable) { return true; }
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    if (tag === "INPUT") {
      var type = (target.type || "").toLowerCase();
      return ["radio", "checkbox", "button", "submit", "reset"].indexOf(type) === -1;
    }
    return false;
  }

  function levelsOf(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll("input[type=radio][data-points]"));
  }

  function focusCriterion(fieldset) {
    var levels = levelsOf(fieldset);
    var target = levels.filter(function (radio) { return radio.checked; })[0] || levels[0];
    if (target) {
      target.focus();
      fieldset.scrollIntoView({ block: "nearest" });
    }
  }

  form.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var fieldset = event.target.closest && event.target.closest("fieldset.rubric-criterion");
    if (!fieldset) { return; }
    var key = event.key;
    if (/^[1-9]$/.test(key)) {
      var levels = levelsOf(fieldset);
      var level = levels[parseInt(key, 10) - 1];
      if (!level) { return; }
      event.preventDefault();
      if (!level.checked) {
        // Clicking the radio checks it and fires the same input and change events as a mouse.
        level.click();
      }
      level.focus();
      return;
    }
    var step = { j: 1, J: 1, k: -1, K: -1 }[key];
    if (step) {
      var next = criteria[criteria.indexOf(fieldset) + step];
      if (next) {
        event.preventDefault();
        focusCriterion(next);
      }
    }
  });

  // --- Draft assessment: autosave ----------------------------------------------------------
  if (!window.fetch || !window.FormData) { return; }
  var draftUrl = form.getAttribute("data-draft-url");
  var status = document.getElementById("draft-status");
  var versionInput = form.querySelector("input[name=draft_version]");
  var timer = null;
  var dirty = false;      // changed since the last successful save
  var inflight = null;    // the save under way, if any
  var stopped = false;    // the revision can no longer be scored: saving more is pointless
  var submitting = false; // a button is posting the whole form

  function say(text, kind, urgent) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "autosave-status " + (kind || "muted");
    // A conflict or a refusal is announced at once; routine saves politely.
    status.setAttribute("role", urgent ? "alert" : "status");
  }

  function draftBody() {
    var body = new FormData(form);
    body.delete("then");
    return body;
  }

  function save() {
    if (stopped || submitting) { return Promise.resolve(false); }
    if (inflight) { return inflight.then(save); }
    if (!dirty) { return Promise.resolve(true); }
    if (timer) { clearTimeout(timer); timer = null; }
    dirty = false;
    say("Saving your draft…");
    inflight = fetch(draftUrl, {
      method: "POST",
      body: draftBody(),
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      inflight = null;
      if (result.data.ok) {
        versionInput.value = result.data.draft_version;
        if (result.data.conflict) {
          say(result.data.conflict, "error", true);
        } else {
          say("Draft saved at " + result.data.saved_at + ".", "ok");
        }
        return true;
      }
      dirty = true;
      if (result.status === 409) { stopped = true; }
      say("Draft not saved: " + (result.data.error || "please check the fields.") + " Your choices are still on this page.",
        "error", true);
      return false;
    }).catch(function () {
      inflight = null;
      dirty = true;
      say("Draft not saved: the connection dropped. Your choices are still here; retrying shortly.", "error", true);
      schedule(10000);
      return false;
    });
    return inflight;
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function changed(event) {
    if (!event.target || event.target.form !== form || event.target.type === "hidden") { return; }
    dirty = true;
    if (!stopped) { schedule(1200); }
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer) { clearTimeout(timer); timer = null; }
  });

  // Closing the tab before the next automatic save: hand what is on the page to the browser,
  // which sends it even as the page goes away (the answer is not read).
  window.addEventListener("pagehide", function () {
    if (dirty && !stopped && !submitting && navigator.sendBeacon) {
      navigator.sendBeacon(draftUrl, draftBody());
      dirty = false;
    }
  });
})();
