// Background work in progress (a report, a data archive): the page marks its box with
// data-status-url; this polls that status.json every second and moves the progress bar
// (<progress>), the text (role="status") and the label ([data-status-label]); when the work
// finishes, the page reloads to show the download link or the error.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || box.dataset.finished === "true" || !window.fetch) { return; }
  var url = box.dataset.statusUrl;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[role=status]");
  var label = box.querySelector("[data-status-label]");
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
