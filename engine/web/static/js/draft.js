// Keep the task form's entries as a server-side draft while the user types: two seconds after
// the last change, and once more when the page is left. The "Save draft" button still works
// without JavaScript; this only spares the user from remembering to press it.
(function () {
  "use strict";
  var form = document.getElementById("task-form");
  if (!form || !form.dataset.draftUrl) { return; }
  var status = document.getElementById("draft-status");
  var timer = null;
  var dirty = false;

  function body() {
    var data = new FormData(form);
    data.delete("then");
    data.delete("save_draft");
    return data;
  }

  function save() {
    timer = null;
    if (!dirty) { return; }
    dirty = false;
    fetch(form.dataset.draftUrl, { method: "POST", body: body(), credentials: "same-origin" })
      .then(function (response) {
        if (response.ok && status) {
          var now = new Date();
          status.textContent = form.dataset.draftSaved + " " +
            now.toLocaleTimeString(document.documentElement.lang || undefined,
                                   { hour: "2-digit", minute: "2-digit" });
        }
      })
      .catch(function () { dirty = true; });
  }

  function changed() {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 2000);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { dirty = false; if (timer) { clearTimeout(timer); } });
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) { navigator.sendBeacon(form.dataset.draftUrl, body()); }
  });
})();
