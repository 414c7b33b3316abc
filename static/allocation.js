// Progress of a queued or running allocation: poll the JSON endpoint named by the page and
// update the progress bar and phase; reload once the run has finished (the page then shows the
// result). Without JavaScript the page offers a "Refresh" link instead.
(function () {
  "use strict";
  var section = document.getElementById("allocation-progress");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  var every = (parseFloat(section.getAttribute("data-poll-seconds")) || 2) * 1000;
  var bar = document.getElementById("allocation-bar");
  var phase = document.getElementById("allocation-phase");
  var state = document.getElementById("allocation-state");  // "waiting to start" must not stay under a moving bar

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        bar.value = data.progress;
        bar.textContent = Math.round(data.progress * 100) + " %";
        if (phase.textContent !== data.phase_label) { phase.textContent = data.phase_label; }
        if (state && data.state_label && state.textContent !== data.state_label) { state.textContent = data.state_label; }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
}());
