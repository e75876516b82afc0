/* Sync run page: poll the run's progress JSON and update the counts, the percentage and the errors in place.
   No library; stops when the run has finished; backs off when the server does not answer. */
(function () {
  "use strict";

  function text(el, value) {
    if (el) { el.textContent = value; }
  }

  function renderErrors(tbody, errors) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    if (!errors.length) {
      var empty = document.createElement("tr");
      var cell = document.createElement("td");
      cell.colSpan = 2;
      cell.className = "hub-empty";
      cell.textContent = "No error.";
      empty.appendChild(cell);
      tbody.appendChild(empty);
      return;
    }
    errors.forEach(function (error) {
      var row = document.createElement("tr");
      var where = document.createElement("th");
      where.scope = "row";
      where.textContent = error.where || "run";
      var what = document.createElement("td");
      what.textContent = error.error;
      row.appendChild(where);
      row.appendChild(what);
      tbody.appendChild(row);
    });
  }

  function render(root, data) {
    var badge = root.querySelector('[data-field="state_label"]');
    if (badge) {
      badge.className = "hub-badge hub-run-" + data.state;
      badge.dataset.state = data.state;
      text(badge, data.state_label);
    }
    var bar = document.getElementById("run-progress");
    if (data.percent === null) {
      bar.removeAttribute("value");
      bar.hidden = data.failed;
      text(root.querySelector('[data-field="percent"]'), data.failed ? "" : "…");
    } else {
      bar.hidden = false;
      bar.value = data.percent;
      text(root.querySelector('[data-field="percent"]'), data.percent + "%");
    }
    text(root.querySelector('[data-field="progress_text"]'), data.progress_text);
    var failure = root.querySelector('[data-field="failure"]');
    if (failure) {
      failure.hidden = !data.failed;
      text(root.querySelector('[data-field="failure_text"]'), data.message || "");
    }
    var waiting = root.querySelector('[data-field="waiting"]');
    if (waiting) {
      waiting.hidden = !data.waiting;
      if (data.waiting) {
        text(root.querySelector('[data-field="waiting_reason"]'), data.waiting.reason);
        text(root.querySelector('[data-field="waiting_left"]'), String(data.waiting.seconds_left));
      }
    }
    Object.keys(data.counts).forEach(function (name) {
      text(root.querySelector('[data-count="' + name + '"]'), String(data.counts[name]));
    });
    var message = root.querySelector('[data-field="message"]');
    if (message) {
      message.hidden = !data.message;
      text(root.querySelector('[data-field="message_text"]'), data.message || "");
    }
    text(root.querySelector('[data-field="error_count"]'), String(data.error_count));
    text(root.querySelector('[data-field="heartbeat_at"]'), data.heartbeat_at ? data.heartbeat_at.replace("T", " ").slice(0, 19) : "-");
    renderErrors(root.querySelector('[data-field="errors"]'), data.errors);
    root.dataset.finished = data.finished ? "true" : "false";
  }

  function start() {
    var root = document.querySelector("[data-progress-url]");
    if (!root) { return; }
    var url = root.dataset.progressUrl;
    var every = (parseFloat(root.dataset.pollSeconds) || 2) * 1000;
    var delay = every;
    var note = document.getElementById("live-note");
    var lastState = root.querySelector('[data-field="state_label"]').dataset.state;

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          render(root, data);
          delay = every;
          if (data.state !== lastState) {
            lastState = data.state;
            text(note, data.finished ? "The sync has finished: " + data.state_label.toLowerCase() + "." : "The sync is " + data.state_label.toLowerCase() + ".");
          }
          if (!data.finished) { window.setTimeout(poll, delay); }
        })
        .catch(function () {
          delay = Math.min(delay * 2, 30000);
          text(note, "Could not reach the server; trying again in " + Math.round(delay / 1000) + " seconds.");
          window.setTimeout(poll, delay);
        });
    }

    if (root.dataset.finished !== "true") { window.setTimeout(poll, every); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
