// Workspace autosave: the draft form posts itself a couple of seconds after typing stops.
// The server answers with JSON; a refused save (another tab saved first) stops autosaving
// and says so, and nothing on the page is touched, so typed text is never lost.
(function () {
  "use strict";
  var form = document.getElementById("workspace-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=draft_version]");
  var timer = null;
  var dirty = false;
  var saving = false;
  var stopped = false;

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "autosave-status " + (kind || "muted");
  }

  function save() {
    if (stopped || saving || !dirty) { return Promise.resolve(); }
    saving = true;
    dirty = false;
    say("Saving…");
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      saving = false;
      if (result.data.ok) {
        versionInput.value = result.data.draft_version;
        say("Draft saved at " + result.data.saved_at + ".", "ok");
      } else if (result.status === 409) {
        stopped = true;
        say(result.data.error, "error");
      } else {
        dirty = true;
        say("Not saved: " + (result.data.error || "please check the fields") + " Your text is still here.", "error");
      }
    }).catch(function () {
      saving = false;
      dirty = true;
      say("Not saved: the connection dropped. Your text is still here; retrying shortly.", "error");
      schedule(10000);
    });
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function changed(event) {
    var target = event.target;
    if (!target || (target.form !== form)) { return; }
    dirty = true;
    schedule(2000);
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  // Before leaving for an evidence upload or a risk entry, save the typed draft first.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-save-draft-first]"), function (other) {
    other.addEventListener("submit", function (event) {
      if (!dirty || stopped) { return; }
      event.preventDefault();
      save().then(function () { other.submit(); });
    });
  });
  // The plain Save/Submit buttons post the form normally, so autosave must not race them.
  form.addEventListener("submit", function () { stopped = true; if (timer) { clearTimeout(timer); } });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !stopped) { event.preventDefault(); event.returnValue = ""; }
  });
})();
