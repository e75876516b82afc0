// The filter rule form's Preview button: POST the unsaved form to the preview view and show its answer below
// the fields. The view saves nothing (the real save runs in a rolled-back transaction).
"use strict";
(function () {
  const button = document.getElementById("filter-preview-button");
  const target = document.getElementById("filter-preview");
  if (!button || !target) {
    return;
  }
  button.addEventListener("click", async function () {
    button.disabled = true;
    target.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(button.dataset.url, {
        method: "POST",
        body: new FormData(button.form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      target.innerHTML = response.ok
        ? await response.text()
        : '<p class="errornote" role="alert">The preview failed (HTTP ' + response.status + ").</p>";
    } catch (error) {
      target.innerHTML = '<p class="errornote" role="alert">The preview failed: the server did not answer.</p>';
    } finally {
      target.removeAttribute("aria-busy");
      button.disabled = false;
    }
  });
})();
