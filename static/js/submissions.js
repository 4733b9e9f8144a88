// Workspace autosave: the draft form posts itself a couple of seconds after typing stops.
// The server answers with JSON. A refused save (another tab saved first, HTTP 409) stops
// autosaving and says so; nothing on the page is touched, the browser still warns before
// leaving the page, and the other forms (upload, link, risk entries) refuse to post, since
// posting them would leave the page and lose the text the student was told to keep.
(function () {
  "use strict";
  var form = document.getElementById("workspace-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=draft_version]");
  var timer = null;
  var dirty = false;       // typed since the last successful save
  var inflight = null;     // the save under way, if any
  var conflicted = false;  // another tab saved first: what is on the page is saved nowhere
  var submitting = false;  // the Save / Submit buttons are posting the whole form
  var lastField = null;    // the field typed in last: a refusal is also said beside it

  var CONFLICT_BLOCK = "Not sent: this draft was saved from another tab, so the text on this page is not saved " +
    "and leaving now would lose it. Copy what you need to keep, reload the page, merge it in, then try again.";
  var SAVE_FAILED_BLOCK = "Not sent: your draft could not be saved first, and leaving the page now would lose it. " +
    "Check the message above the sections, or use \u201cSave draft\u201d, then try again.";

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "autosave-status " + (kind || "muted");
  }

  // Resolves true when the server holds what is on the page, false when it does not.
  function save() {
    if (conflicted || submitting) { return Promise.resolve(false); }
    if (inflight) { return inflight.then(function () { return save(); }); }
    if (!dirty) { return Promise.resolve(true); }
    if (timer) { clearTimeout(timer); timer = null; }
    dirty = false;
    say("Saving…");
    inflight = fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      inflight = null;
      if (result.data.ok) {
        versionInput.value = result.data.draft_version;
        say("Draft saved at " + result.data.saved_at + ".", "ok");
        return true;
      }
      dirty = true;
      if (result.status === 409) {
        conflicted = true;
        say(result.data.error, "error");
        sayBesideTheField(result.data.error);
      } else {
        say("Not saved: " + (result.data.error || "please check the fields") + " Your text is still here.", "error");
      }
      return false;
    }).catch(function () {
      inflight = null;
      dirty = true;
      say("Not saved: the connection dropped. Your text is still here; retrying shortly.", "error");
      schedule(10000);
      return false;
    });
    return inflight;
  }

  // The status line sits at the top of the page, often thousands of pixels above the field
  // being typed in: the refusal is repeated (and announced) right under that field.
  function sayBesideTheField(text) {
    if (!lastField || !document.body.contains(lastField)) { return; }
    var cell = lastField.closest("td");
    var place = lastField.closest(".field") || lastField;
    var alert = document.getElementById("conflict-here");
    if (!alert) {
      alert = document.createElement("p");
      alert.id = "conflict-here";
      alert.className = "form-errors conflict-here";
      alert.setAttribute("role", "alert");
    }
    alert.textContent = text;
    if (cell) { cell.appendChild(alert); } else { place.insertAdjacentElement("afterend", alert); }
    var described = (lastField.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf("conflict-here") === -1) {
      lastField.setAttribute("aria-describedby", described.concat("conflict-here").join(" "));
    }
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function changed(event) {
    var target = event.target;
    if (!target || (target.form !== form)) { return; }
    if (target.type !== "hidden") { lastField = target; }
    dirty = true;
    if (!conflicted) { schedule(2000); }
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  // An alert inside the refused form, so the reason is read out where the student acted.
  function refuse(other, text) {
    var alert = other.querySelector(".save-first-alert");
    if (!alert) {
      alert = document.createElement("div");
      alert.className = "form-errors save-first-alert";
      alert.setAttribute("role", "alert");
      other.insertBefore(alert, other.firstChild);
    }
    alert.textContent = text;
  }

  // Before leaving for an evidence upload, a link or a risk entry, save the typed draft
  // first, and post the other form only once that save succeeded.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-save-draft-first]"), function (other) {
    other.addEventListener("submit", function (event) {
      if (conflicted) {
        event.preventDefault();
        refuse(other, CONFLICT_BLOCK);
        return;
      }
      if (!dirty && !inflight) { return; }
      event.preventDefault();
      save().then(function (saved) {
        if (saved) {
          other.submit();
        } else {
          refuse(other, conflicted ? CONFLICT_BLOCK : SAVE_FAILED_BLOCK);
        }
      });
    });
  });
  // The plain Save/Submit buttons post the whole form (after a conflict too: the server then
  // shows the page again with everything typed), so autosave must not race them.
  form.addEventListener("submit", function () { submitting = true; if (timer) { clearTimeout(timer); } });
  window.addEventListener("beforeunload", function (event) {
    if ((dirty || conflicted) && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });
})();
