// Report status page: polls the run's status.json every second and moves the progress
// bar; when the run finishes, the page reloads to show the download link or the error.
(function () {
  "use strict";
  var box = document.getElementById("report-run");
  if (!box || box.dataset.finished === "true" || !window.fetch) { return; }
  var url = box.dataset.statusUrl;
  var bar = document.getElementById("report-progress");
  var text = document.getElementById("report-progress-text");
  var label = document.getElementById("report-status-label");
  var failures = 0;

  function show(data) {
    if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
    if (text) {
      text.textContent = data.progress + "% done" + (data.phase ? " · " + data.phase : "") +
        (data.status === "queued" ? "; waiting for a worker." : ".");
    }
    if (label) { label.textContent = data.status_label; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        if (text && failures >= 3) { text.textContent = "Lost contact with the server; still trying…"; }
        window.setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, 1000);
}());
