// The case page's diagrams: one read-only viewer per running process. Each container names
// its XML (data-xml-url), its open steps (data-current) and failed steps (data-error), both
// space-separated element ids; highlighted like the task page's diagram.
(function () {
  "use strict";
  if (!window.BpmnJS) { return; }
  function mark(viewer, ids, marker) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    (ids || "").split(" ").forEach(function (id) {
      if (id && registry.get(id)) { canvas.addMarker(id, marker); }
    });
  }
  document.querySelectorAll(".case-diagram[data-xml-url]").forEach(function (container) {
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.xmlUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) {
      var relabel = window.CasewayDiagramLabels;
      return viewer.importXML(relabel ? relabel(xml) : xml);
    })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark(viewer, container.dataset.current, "cw-current");
        mark(viewer, container.dataset.error, "cw-error");
        container.dataset.ready = "true";
      })
      .catch(function () {
        container.textContent = container.dataset.failed || "";
        container.dataset.ready = "error";
      });
  });
}());
