/*
 * Eligibility run progress: on a running run's page, polls the
 * [data-progress-url] JSON (status, percent, done_chunks, total_chunks,
 * lines_decided, lines_changed, text) and updates the <progress> bar and
 * counts in place; once the run has finished it reloads the page to show
 * the final chunks and errors.
 *
 * Progressive enhancement: without JavaScript the page reloads itself
 * through the <noscript> meta refresh while the run is running.
 */
(function () {
  "use strict";

  var ACTIVE = ["pending", "running"];

  function start(box) {
    var url = box.getAttribute("data-progress-url");
    var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 5;
    var bar = box.querySelector("[data-progress-bar]");
    var text = box.querySelector("[data-progress-text]");
    var status = box.querySelector("[data-progress-status]");
    var decided = box.querySelector("[data-progress-decided]");
    var changed = box.querySelector("[data-progress-changed]");

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (bar) {
            bar.max = data.total_chunks || 1;
            bar.value = data.total_chunks ? data.done_chunks : data.status === "done" ? 1 : 0;
            bar.textContent = data.percent + "%";
          }
          if (text && data.text) {
            text.textContent = data.text;
          }
          if (status && data.status_label) {
            status.textContent = data.status_label;
          }
          if (decided) {
            decided.textContent = data.lines_decided;
          }
          if (changed) {
            changed.textContent = data.lines_changed;
          }
          if (ACTIVE.indexOf(data.status) === -1) {
            window.location.reload();
          } else {
            window.setTimeout(poll, seconds * 1000);
          }
        })
        .catch(function () {
          // Keep the page as it is; a manual reload still works.
        });
    }

    window.setTimeout(poll, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-progress-url]");
    for (var i = 0; i < boxes.length; i += 1) {
      start(boxes[i]);
    }
  });
})();
