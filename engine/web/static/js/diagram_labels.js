// Diagram labels in the page's language: the page may carry the diagrams' catalog as JSON
// (<script type="application/json" id="diagram-labels">, English text -> translation); every
// `name` attribute found in it is replaced in the XML before the viewer draws it.
(function () {
  "use strict";
  var source = document.getElementById("diagram-labels");
  var labels = {};
  try { labels = source ? JSON.parse(source.textContent || "{}") : {}; } catch (e) { labels = {}; }
  window.CasewayDiagramLabels = function (xml) {
    if (!source || !Object.keys(labels).length || !window.DOMParser) { return xml; }
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) { return xml; }
    var all = doc.getElementsByTagName("*");
    for (var i = 0; i < all.length; i++) {
      var name = all[i].getAttribute("name");
      var key = name && name.trim();
      if (key && Object.prototype.hasOwnProperty.call(labels, key)) {
        all[i].setAttribute("name", labels[key]);
      }
    }
    return new XMLSerializer().serializeToString(doc);
  };
})();
