// Read-only diagrams (task page, version view) with bpmn-js's NavigatedViewer: drag to pan,
// Ctrl + wheel to zoom, plus buttons (data-zoom) and keys (+ - 0 c, arrows) on the focused
// diagram. The container says where the XML is (data-xml-url) and what to mark (data-current:
// one id); a diagram with a current step opens centred on it at a readable scale.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  window.cwViewer = viewer;
  var STEP = 1.25;
  var READABLE = 1.0;

  function canvas() { return viewer.get("canvas"); }
  function currentElement() {
    var id = container.dataset.current;
    return id ? viewer.get("elementRegistry").get(id) : null;
  }
  function centreOn(element, scale) {
    var c = canvas();
    c.zoom(scale);
    var box = c.viewbox();
    c.viewbox({
      x: element.x + element.width / 2 - box.width / 2,
      y: element.y + element.height / 2 - box.height / 2,
      width: box.width,
      height: box.height
    });
  }
  function zoomBy(factor) {
    var c = canvas();
    var box = c.viewbox();
    var centre = { x: box.outer.width / 2, y: box.outer.height / 2 };
    c.zoom(Math.max(0.2, Math.min(4, c.zoom() * factor)), centre);
  }
  function act(what) {
    var element = currentElement();
    if (what === "in") { zoomBy(STEP); }
    else if (what === "out") { zoomBy(1 / STEP); }
    else if (what === "fit") { canvas().zoom("fit-viewport", "auto"); }
    else if (what === "current" && element) { centreOn(element, READABLE); }
    container.dataset.zoom = String(Math.round(canvas().zoom() * 100) / 100);
  }

  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () { act(button.dataset.zoom); });
  });
  container.addEventListener("keydown", function (event) {
    var keys = { "+": "in", "=": "in", "-": "out", "0": "fit", "c": "current" };
    var moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
    if (keys[event.key]) { act(keys[event.key]); event.preventDefault(); }
    else if (moves[event.key]) {
      canvas().scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
      event.preventDefault();
    }
  });

  fetch(container.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) {
      var relabel = window.CasewayDiagramLabels;
      return viewer.importXML(relabel ? relabel(xml) : xml);
    })
    .then(function (result) {
      var element = currentElement();
      if (element) {
        canvas().addMarker(element.id, "cw-current");
        centreOn(element, READABLE);
      } else {
        canvas().zoom("fit-viewport", "auto");
      }
      container.dataset.zoom = String(Math.round(canvas().zoom() * 100) / 100);
      container.dataset.warnings = String((result && result.warnings || []).length);
      container.dataset.ready = "true";
    })
    .catch(function () {
      container.textContent = container.dataset.failed || "";
      container.dataset.ready = "error";
    });
}());
