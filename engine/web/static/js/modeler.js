// The designer's modeler: bpmn-js plus a small properties panel for what Caseway reads from a
// diagram (names, lanes, form keys, queue overrides, timers, conditions, scripts), and buttons
// that validate or deploy through the JSON API (session + CSRF header).
//
// Keyboard: the element list selects any element; the panel edits it; buttons add timers,
// lanes and tasks; bpmn-js's own shortcuts work while the canvas has focus.
(function () {
  "use strict";

  var SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var text = JSON.parse(document.getElementById("modeler-text").textContent);
  var canvasEl = document.getElementById("canvas");
  var statusEl = document.getElementById("status");
  var listEl = document.getElementById("element-list");
  var formEl = document.getElementById("properties");
  var problemsEl = document.getElementById("problems");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, key) {
      return values && values[key] !== undefined ? String(values[key]) : match;
    });
  }

  function translate(template, replacements) {
    var translated = (text.bpmnjs && text.bpmnjs[template]) || template;
    replacements = replacements || {};
    return translated.replace(/{([^}]+)}/g, function (match, key) {
      return replacements[key] !== undefined ? replacements[key] : match;
    });
  }

  var modeler = new window.BpmnJS({
    container: canvasEl,
    additionalModules: [{ translate: ["value", translate] }]
  });
  window.cwModeler = modeler;
  var modeling = modeler.get("modeling");
  var registry = modeler.get("elementRegistry");
  var selection = modeler.get("selection");
  var canvas = modeler.get("canvas");
  var moddle = modeler.get("moddle");
  var bpmnFactory = modeler.get("bpmnFactory");
  var elementFactory = modeler.get("elementFactory");
  var current = null;

  function setStatus(message, isError) {
    statusEl.textContent = message;
    statusEl.className = isError ? "flash flash-error" : (message ? "flash flash-success" : "");
  }

  // -- loading -----------------------------------------------------------------------------

  function load(xml) {
    return modeler.importXML(xml).then(function (result) {
      var warnings = (result && result.warnings) || [];
      canvasEl.dataset.warnings = String(warnings.length);
      canvas.zoom("fit-viewport", "auto");
      clearProblems();
      refreshList();
      showProperties(null);
      setStatus(warnings.length ? fmt(text.importWarnings, { count: warnings.length }) : text.loaded);
      canvasEl.dataset.ready = "true";
    }).catch(function (err) {
      canvasEl.dataset.ready = "error";
      setStatus(fmt(text.loadFailed, { reason: err.message }), true);
    });
  }

  fetch(canvasEl.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(load)
    .catch(function (err) {
      canvasEl.dataset.ready = "error";
      setStatus(fmt(text.loadFailed, { reason: err.message }), true);
    });

  document.getElementById("open-file").addEventListener("change", function (event) {
    var file = event.target.files && event.target.files[0];
    if (!file) { return; }
    file.text().then(load).then(function () { setStatus(text.fileRead); });
  });

  // -- the element list (keyboard access to every element) --------------------------------

  function label(element) {
    var bo = element.businessObject || {};
    var type = (bo.$type || element.type || "").replace("bpmn:", "");
    var shown = (text.types && text.types[type]) || type;
    return (bo.name ? bo.name + " — " : "") + element.id + " (" + shown + ")";
  }

  function listable(element) {
    return element.businessObject && element.type !== "label" && !element.labelTarget;
  }

  function refreshList() {
    var keep = current ? current.id : listEl.value;
    listEl.textContent = "";
    var none = document.createElement("option");
    none.value = "";
    none.textContent = text.chooseElement;
    listEl.appendChild(none);
    registry.filter(listable).sort(function (a, b) {
      return label(a).localeCompare(label(b));
    }).forEach(function (element) {
      var option = document.createElement("option");
      option.value = element.id;
      option.textContent = label(element);
      listEl.appendChild(option);
    });
    listEl.value = registry.get(keep) ? keep : "";
  }

  listEl.addEventListener("change", function () {
    var element = registry.get(listEl.value);
    if (!element) { selection.select(null); return; }
    selection.select(element);
    if (element !== canvas.getRootElement()) { canvas.scrollToElement(element); }
    showProperties(element);
  });

  modeler.on("selection.changed", function (event) {
    var element = event.newSelection[0] || null;
    if (element && element.labelTarget) { element = element.labelTarget; }
    showProperties(element);
    if (document.activeElement !== listEl) { listEl.value = element ? element.id : ""; }
  });

  var refreshTimer = null;
  modeler.on("elements.changed", function () {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshList, 50);
  });

  // -- reading Caseway's extension properties ------------------------------------------------

  function spiffProperties(bo) {
    var ext = bo.extensionElements;
    var values = (ext && ext.values) || [];
    for (var i = 0; i < values.length; i += 1) {
      if (values[i].$type === "spiffworkflow:properties") { return values[i]; }
    }
    return null;
  }

  function spiffChildren(props) {
    if (!props) { return []; }
    if (!props.$children) { props.$children = []; }
    return props.$children;
  }

  function getSpiff(bo, name) {
    var children = spiffChildren(spiffProperties(bo));
    for (var i = 0; i < children.length; i += 1) {
      if (children[i].name === name) { return children[i].value || ""; }
    }
    return "";
  }

  function setSpiff(element, name, value) {
    var bo = element.businessObject;
    var ext = bo.extensionElements;
    if (!ext) {
      if (!value) { return; }
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: ext });
    }
    var props = spiffProperties(bo);
    if (!props) {
      if (!value) { return; }
      props = moddle.createAny("spiffworkflow:properties", SPIFF_NS, {});
      props.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([props]) });
    }
    var children = spiffChildren(props);
    var found = children.filter(function (child) { return child.name === name; })[0];
    if (!value) {
      props.$children = children.filter(function (child) { return child !== found; });
    } else if (found) {
      found.value = value;
    } else {
      var prop = moddle.createAny("spiffworkflow:property", SPIFF_NS, { name: name, value: value });
      prop.$parent = props;
      children.push(prop);
    }
  }

  function timerDefinition(bo) {
    var defs = bo.eventDefinitions || [];
    for (var i = 0; i < defs.length; i += 1) {
      if (defs[i].$type === "bpmn:TimerEventDefinition") { return defs[i]; }
    }
    return null;
  }

  function timerKind(def) {
    if (def.timeDate) { return "timeDate"; }
    if (def.timeCycle) { return "timeCycle"; }
    return "timeDuration";
  }

  function processOf(element) {
    var bo = element.businessObject;
    if (bo.$type === "bpmn:Participant") { return bo.processRef || null; }
    if (bo.$type === "bpmn:Process") { return bo; }
    return null;
  }

  // -- the properties panel ------------------------------------------------------------------

  function field(id, labelText, value, kind) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var lab = document.createElement("label");
    lab.setAttribute("for", id);
    lab.textContent = labelText;
    var input = document.createElement(kind === "textarea" ? "textarea" : "input");
    if (kind !== "textarea") { input.type = "text"; }
    input.id = id;
    input.name = id;
    input.value = value || "";
    wrap.appendChild(lab);
    wrap.appendChild(input);
    formEl.appendChild(wrap);
    return input;
  }

  function button(labelText, handler, type, action) {
    var b = document.createElement("button");
    if (action) { b.dataset.action = action; }
    b.type = type || "button";
    b.className = type === "submit" ? "" : "secondary";
    b.textContent = labelText;
    if (handler) { b.addEventListener("click", handler); }
    return b;
  }

  function showProperties(element) {
    current = element;
    formEl.textContent = "";
    if (!element) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = text.noSelection;
      formEl.appendChild(hint);
      return;
    }
    var bo = element.businessObject;
    var idLine = document.createElement("p");
    idLine.textContent = text.id + ": " + element.id;
    formEl.appendChild(idLine);
    var process = processOf(element);
    if (process) {
      field("prop-process-id", text.processId, process.id);
      field("prop-process-name", text.processName, process.name);
    }
    if (bo.$type !== "bpmn:Process") { field("prop-name", text.name, bo.name); }
    if (bo.$type === "bpmn:UserTask") {
      field("prop-form-key", text.formKey, getSpiff(bo, "formKey"));
      field("prop-candidate-groups", text.candidateGroups, getSpiff(bo, "candidateGroups"));
    }
    var timer = timerDefinition(bo);
    if (timer) { timerFields(timer); }
    if (bo.$type === "bpmn:BoundaryEvent") { checkbox("prop-interrupting", text.interrupting, bo.cancelActivity !== false); }
    if (bo.$type === "bpmn:SequenceFlow" && bo.sourceRef && /Gateway$/.test(bo.sourceRef.$type)) {
      field("prop-condition", text.condition, bo.conditionExpression ? bo.conditionExpression.body : "");
    }
    if (bo.$type === "bpmn:ScriptTask") { field("prop-script", text.script, bo.script, "textarea"); }
    var actions = document.createElement("div");
    actions.className = "actions";
    actions.appendChild(button(text.apply, null, "submit"));
    if (bo.$type === "bpmn:UserTask") { actions.appendChild(button(text.addTimer, addTimer, "button", "add-timer")); }
    if (bo.$type === "bpmn:Participant" || bo.$type === "bpmn:Lane") { actions.appendChild(button(text.addLane, addLane, "button", "add-lane")); }
    if (/Task$|Event$|Gateway$/.test(bo.$type) && bo.$type !== "bpmn:EndEvent") {
      actions.appendChild(button(text.appendTask, appendTask, "button", "append-task"));
    }
    if (element !== canvas.getRootElement()) { actions.appendChild(button(text.remove, removeCurrent, "button", "remove")); }
    formEl.appendChild(actions);
  }

  function checkbox(id, labelText, checked) {
    var lab = document.createElement("label");
    lab.className = "choice";
    var input = document.createElement("input");
    input.type = "checkbox";
    input.id = id;
    input.checked = checked;
    lab.appendChild(input);
    lab.appendChild(document.createTextNode(" " + labelText));
    formEl.appendChild(lab);
  }

  function timerFields(timer) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var lab = document.createElement("label");
    lab.setAttribute("for", "prop-timer-kind");
    lab.textContent = text.timerKind;
    var select = document.createElement("select");
    select.id = "prop-timer-kind";
    ["timeDuration", "timeDate", "timeCycle"].forEach(function (kind) {
      var option = document.createElement("option");
      option.value = kind;
      option.textContent = text[kind];
      select.appendChild(option);
    });
    select.value = timerKind(timer);
    wrap.appendChild(lab);
    wrap.appendChild(select);
    formEl.appendChild(wrap);
    var expression = timer[timerKind(timer)];
    field("prop-timer-value", text.timerValue, expression ? expression.body : "");
  }

  function value(id) {
    var input = document.getElementById(id);
    return input ? input.value.trim() : null;
  }

  formEl.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current) { return; }
    applyProperties(current);
    refreshList();
    showProperties(registry.get(current.id) || current);
    setStatus(fmt(text.applied, { id: current.id }));
  });

  function expression(body) {
    return bpmnFactory.create("bpmn:FormalExpression", { body: body });
  }

  function applyProperties(element) {
    var bo = element.businessObject;
    var process = processOf(element);
    if (process) {
      modeling.updateModdleProperties(element, process, {
        id: value("prop-process-id") || process.id,
        name: value("prop-process-name") || undefined
      });
    }
    var name = value("prop-name");
    if (name !== null && name !== (bo.name || "")) { modeling.updateLabel(element, name); }
    if (bo.$type === "bpmn:UserTask") {
      setSpiff(element, "formKey", value("prop-form-key"));
      setSpiff(element, "candidateGroups", value("prop-candidate-groups"));
    }
    var timer = timerDefinition(bo);
    if (timer) {
      var changes = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      var body = value("prop-timer-value");
      if (body) { changes[value("prop-timer-kind")] = expression(body); }
      modeling.updateModdleProperties(element, timer, changes);
    }
    var interrupting = document.getElementById("prop-interrupting");
    if (interrupting && interrupting.checked !== (bo.cancelActivity !== false)) {
      modeling.updateProperties(element, { cancelActivity: interrupting.checked });
    }
    var condition = value("prop-condition");
    if (condition !== null) {
      modeling.updateProperties(element, { conditionExpression: condition ? expression(condition) : undefined });
    }
    var script = document.getElementById("prop-script");
    if (script) { modeling.updateProperties(element, { script: script.value }); }
  }

  // -- structure edits without a mouse --------------------------------------------------------

  function addTimer() {
    var task = current;
    var shape = elementFactory.createShape({
      type: "bpmn:BoundaryEvent",
      eventDefinitionType: "bpmn:TimerEventDefinition"
    });
    var created = modeling.createShape(shape, { x: task.x + task.width - 20, y: task.y + task.height }, task, { attach: true });
    // A deadline, not an escalation: it dates the task and leaves it with its worker. (An
    // interrupting timer with nowhere to go is refused at deploy; the panel can switch it.)
    modeling.updateProperties(created, { cancelActivity: false });
    var timer = timerDefinition(created.businessObject);
    modeling.updateModdleProperties(created, timer, { timeDuration: expression("business_days(2)") });
    selection.select(created);
    setStatus(fmt(text.added, { id: created.id }));
  }

  function addLane() {
    var lane = modeling.addLane(current, "bottom");
    selection.select(lane);
    setStatus(fmt(text.added, { id: lane.id }));
  }

  function appendTask() {
    var shape = elementFactory.createShape({ type: "bpmn:UserTask" });
    var created = modeler.get("autoPlace").append(current, shape);
    selection.select(created);
    setStatus(fmt(text.added, { id: created.id }));
  }

  function removeCurrent() {
    modeling.removeElements([current]);
    selection.select(null);
    showProperties(null);
    setStatus(text.removed);
  }

  // -- validate, deploy, download --------------------------------------------------------------

  function mainProcessId() {
    var root = canvas.getRootElement();
    var process = processOf(root);
    if (!process && root.businessObject.participants && root.businessObject.participants[0]) {
      process = root.businessObject.participants[0].processRef;
    }
    return (process && process.id) || "diagram";
  }

  function clearProblems() {
    registry.getAll().forEach(function (element) { canvas.removeMarker(element, "cw-error"); });
    problemsEl.textContent = "";
  }

  // The server words deploy problems in English; known ones are shown in the page's language.
  function problemText(message) {
    var patterns = text.problems || [];
    for (var i = 0; i < patterns.length; i++) {
      var found = new RegExp(patterns[i][0]).exec(message || "");
      if (found) { return fmt(patterns[i][1], found.groups || {}); }
    }
    return message;
  }

  function showProblems(errors) {
    clearProblems();
    (errors || []).forEach(function (error) {
      var item = document.createElement("li");
      var element = error.element_id && registry.get(error.element_id);
      item.appendChild(document.createTextNode(
        (error.element_id || text.wholeFile) + ": " + problemText(error.message) + " "));
      if (element) {
        canvas.addMarker(element, "cw-error");
        var show = button(text.show, function () {
          selection.select(element);
          canvas.scrollToElement(element);
        });
        show.setAttribute("aria-label", text.show + " " + error.element_id);
        item.appendChild(show);
      }
      problemsEl.appendChild(item);
    });
  }

  function upload(url) {
    return modeler.saveXML({ format: true }).then(function (saved) {
      var form = new FormData();
      form.append("file", new Blob([saved.xml], { type: "application/xml" }), mainProcessId() + ".bpmn");
      return fetch(url, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
      });
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function answer(reply, onSuccess) {
    if (reply.status === 422 && reply.body.errors) {
      showProblems(reply.body.errors);
      setStatus(fmt(text.invalid, { count: reply.body.errors.length }), true);
    } else if (reply.status >= 400) {
      setStatus(fmt(text.requestFailed, { reason: reply.body.detail || reply.status }), true);
    } else {
      clearProblems();
      onSuccess(reply.body);
    }
  }

  // Warnings (an unknown queue, a task routed nowhere, an ignored data store) do not stop a
  // deploy; they are listed like problems so each element can be shown.
  function warned(body) {
    var warnings = body.warnings || [];
    if (!warnings.length) { return ""; }
    showProblems(warnings);
    return " " + fmt(text.warnings, { count: warnings.length });
  }

  document.getElementById("validate").addEventListener("click", function () {
    setStatus(text.validating);
    upload(canvasEl.dataset.validateUrl).then(function (reply) {
      answer(reply, function (body) {
        var names = body.processes.map(function (p) { return p.process_id; }).join(", ");
        setStatus(fmt(text.valid, { processes: names }) + warned(body));
      });
    });
  });

  document.getElementById("deploy").addEventListener("click", function () {
    setStatus(text.deploying);
    upload(canvasEl.dataset.deployUrl).then(function (reply) {
      answer(reply, function (body) {
        var messages = body.deployed.map(function (d) {
          return fmt(d.created ? text.deployed : text.unchanged, { process: d.process_id, version: d.version });
        });
        setStatus(messages.join(" ") + warned(body));
      });
    });
  });

  // "What would this change?": the diagram as edited goes to the what-if page (nothing deployed).
  var whatifForm = document.getElementById("whatif-form");
  if (whatifForm) {
    whatifForm.addEventListener("submit", function (event) {
      event.preventDefault();
      modeler.saveXML({ format: true }).then(function (saved) {
        whatifForm.elements.xml.value = saved.xml;
        whatifForm.submit();
      });
    });
  }

  document.getElementById("download").addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (saved) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([saved.xml], { type: "application/xml" }));
      link.download = mainProcessId() + ".bpmn";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });
}());
