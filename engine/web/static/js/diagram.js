// Read-only diagrams (task page, version view): load the deployed XML, highlight elements.
// The container says where the XML is (data-xml-url) and what to mark (data-current: one id).
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  window.cwViewer = viewer;
  fetch(container.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function (result) {
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport", "auto");
      var current = container.dataset.current;
      if (current && viewer.get("elementRegistry").get(current)) {
        canvas.addMarker(current, "cw-current");
      }
      container.dataset.warnings = String((result && result.warnings || []).length);
      container.dataset.ready = "true";
    })
    .catch(function () {
      container.textContent = container.dataset.failed || "";
      container.dataset.ready = "error";
    });
}());
