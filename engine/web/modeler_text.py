"""Words the modeler's script shows, in the page's language.

Two kinds: Caseway's own panel and messages, and bpmn-js's palette and context-pad tooltips
(bpmn-js asks a `translate` function for each; the French ones come from our catalog too).
"""

from __future__ import annotations

from flask_babel import gettext as _

from engine.web.i18n import current_language


def bpmn_js_translations() -> dict[str, str]:
    """bpmn-js 18 tooltips, keyed by bpmn-js's own English text."""
    return {
        "Activate create/remove space tool": _("Activate create/remove space tool"),
        "Activate global connect tool": _("Activate global connect tool"),
        "Activate hand tool": _("Activate hand tool"),
        "Activate lasso tool": _("Activate lasso tool"),
        "Add lane above": _("Add lane above"),
        "Add lane below": _("Add lane below"),
        "Append end event": _("Append end event"),
        "Append gateway": _("Append gateway"),
        "Append intermediate/boundary event": _("Append intermediate/boundary event"),
        "Append task": _("Append task"),
        "Append timer intermediate catch event": _("Append timer intermediate catch event"),
        "Change element": _("Change element"),
        "Connect to other element": _("Connect to other element"),
        "Connect using association": _("Connect using association"),
        "Create data object reference": _("Create data object reference"),
        "Create data store reference": _("Create data store reference"),
        "Create end event": _("Create end event"),
        "Create expanded sub-process": _("Create expanded sub-process"),
        "Create gateway": _("Create gateway"),
        "Create group": _("Create group"),
        "Create intermediate/boundary event": _("Create intermediate/boundary event"),
        "Create pool/participant": _("Create pool/participant"),
        "Create start event": _("Create start event"),
        "Create task": _("Create task"),
        "Delete": _("Delete"),
        "Divide into three lanes": _("Divide into three lanes"),
        "Divide into two lanes": _("Divide into two lanes"),
        "Add text annotation": _("Add text annotation"),
        "Align elements": _("Align elements"),
        "Append compensation activity": _("Append compensation activity"),
        "Append conditional intermediate catch event": _(
            "Append conditional intermediate catch event"
        ),
        "Append message intermediate catch event": _("Append message intermediate catch event"),
        "Append receive task": _("Append receive task"),
        "Append signal intermediate catch event": _("Append signal intermediate catch event"),
        "Connect using data input association": _("Connect using data input association"),
        "Distribute elements horizontally": _("Distribute elements horizontally"),
        "Distribute elements vertically": _("Distribute elements vertically"),
        "Loop": _("Loop"),
        "Open {element}": _("Open {element}"),
        "Parallel multi-instance": _("Parallel multi-instance"),
        "Search in diagram": _("Search in diagram"),
        "Sequential multi-instance": _("Sequential multi-instance"),
        "Toggle non-interrupting": _("Toggle non-interrupting"),
    }


def element_types() -> dict[str, str]:
    """BPMN element types as the element list names them ("Relevé (UserTask)" read English)."""
    return {
        "Process": _("process"),
        "Collaboration": _("collaboration"),
        "Participant": _("pool"),
        "Lane": _("lane"),
        "StartEvent": _("start event"),
        "EndEvent": _("end event"),
        "IntermediateCatchEvent": _("intermediate catch event"),
        "IntermediateThrowEvent": _("intermediate throw event"),
        "BoundaryEvent": _("boundary event"),
        "Task": _("task"),
        "UserTask": _("user task"),
        "ManualTask": _("manual task"),
        "ServiceTask": _("service task"),
        "ScriptTask": _("script task"),
        "SendTask": _("send task"),
        "ReceiveTask": _("receive task"),
        "BusinessRuleTask": _("business rule task"),
        "CallActivity": _("call activity"),
        "SubProcess": _("sub-process"),
        "ExclusiveGateway": _("exclusive gateway"),
        "ParallelGateway": _("parallel gateway"),
        "InclusiveGateway": _("inclusive gateway"),
        "EventBasedGateway": _("event-based gateway"),
        "SequenceFlow": _("sequence flow"),
        "MessageFlow": _("message flow"),
        "Association": _("association"),
        "TextAnnotation": _("text annotation"),
        "DataObjectReference": _("data object"),
        "DataStoreReference": _("data store"),
        "Group": _("group"),
    }


def problem_patterns() -> list[tuple[str, str]]:
    """The deploy checks' English messages (engine/definitions/compile.py) as (JavaScript
    regular expression with named groups, translated template); unmatched ones show as sent."""
    return [
        (
            r"^service task operator '(?<operator>.+)' has no handler \(known: (?<known>.*)\)$",
            _("service task operator “%(operator)s” has no handler (known: %(known)s)"),
        ),
        (
            r"^(?<operator>[^:]+): unknown parameter '(?<name>.+)'$",
            _("%(operator)s: unknown parameter “%(name)s”"),
        ),
        (
            r"^(?<operator>[^:]+): missing parameter '(?<name>.+)'$",
            _("%(operator)s: missing parameter “%(name)s”"),
        ),
        (
            r"^(?<operator>[^:]+): parameter '(?<name>.+)' has no value$",
            _("%(operator)s: parameter “%(name)s” has no value"),
        ),
        (
            r"^timer '(?<value>.+)' is not a date, duration or cycle$",
            _("timer “%(value)s” is not a date, a duration or a cycle"),
        ),
        (
            r"^candidateGroups '(?<group>.+)' names several queues; a task goes to exactly one$",
            _("candidateGroups “%(group)s” names several queues; a task goes to exactly one"),
        ),
        (
            r"^form '(?<key>.+)' not found \(expected (?<file>.+)\)$",
            _("form “%(key)s” not found (expected %(file)s)"),
        ),
        (r"^the file contains no process$", _("the file contains no process")),
        (
            r"^only \.bpmn, \.dmn and \.json files are accepted$",
            _("only .bpmn, .dmn and .json files are accepted"),
        ),
        (
            r"^two files have this name; names must differ$",
            _("two files have this name; names must differ"),
        ),
        (
            r"^user task is in no lane and has no candidateGroups property: no queue gets it$",
            _("user task is in no lane and has no candidateGroups property: no queue gets it"),
        ),
        (
            r"^start events name different start forms; a process has at most one$",
            _("start events name different start forms; a process has at most one"),
        ),
        (
            r"^business rule task names no decision \(spiffworkflow:calledDecisionId\)$",
            _("business rule task names no decision (spiffworkflow:calledDecisionId)"),
        ),
        (
            r"^process is not executable \(set isExecutable=\"true\" to deploy it\)$",
            _('process is not executable (set isExecutable="true" to deploy it)'),
        ),
        (r"^no BPMN file was given$", _("no BPMN file was given")),
        (
            r"^form '(?<key>.+)' was given twice$",
            _("form “%(key)s” was given twice"),
        ),
        (
            r"^the diagram has (?<count>\d+) flow elements; at most (?<most>\d+) are accepted",
            _("the diagram has %(count)s flow elements; at most %(most)s are accepted"),
        ),
        (
            r"^root element is <(?<tag>.+)>, expected <definitions>$",
            _("root element is <%(tag)s>, expected <definitions>"),
        ),
        (
            r"^a path through the process is too long for the parser to follow",
            _(
                "a path through the process is too long for the parser to follow; split it "
                "into processes joined by call activities"
            ),
        ),
        (
            r"^the diagram could not be read \((?<reason>.*)\)$",
            _("the diagram could not be read (%(reason)s)"),
        ),
        (
            r"^(?<what>condition|timer|event expression|loop \w+|parameter \w+): (?<reason>.+)$",
            _("%(what)s: %(reason)s (the expression was refused)"),
        ),
    ]


def modeler_text() -> dict[str, object]:
    return {
        "bpmnjs": bpmn_js_translations(),
        "types": element_types(),
        "problems": problem_patterns() if current_language() != "en" else [],
        "loaded": _("Diagram loaded."),
        "loadFailed": _("The diagram could not be opened: %(reason)s"),
        "importWarnings": _("Opened with %(count)s warning(s)."),
        "validating": _("Checking the diagram on the server…"),
        "valid": _("The diagram is valid: %(processes)s."),
        "invalid": _("The server found %(count)s problem(s); they are listed and marked in red."),
        "deploying": _("Deploying…"),
        "deployed": _("Deployed %(process)s version %(version)s."),
        "unchanged": _("%(process)s is unchanged (still version %(version)s)."),
        "warnings": _(
            "%(count)s warning(s) listed below: it deploys, but a queue may be missing "
            "(see the queue table) or a task may go to the default queue."
        ),
        "requestFailed": _("The server refused the request: %(reason)s"),
        "show": _("Show"),
        "wholeFile": _("whole file"),
        "noSelection": _("Select an element on the canvas or in the list above."),
        "elementList": _("Elements"),
        "chooseElement": _("Choose an element…"),
        "id": _("Id"),
        "name": _("Name"),
        "processId": _("Process id"),
        "processName": _("Process name"),
        "formKey": _("Form key"),
        "candidateGroups": _("Queue override (candidateGroups)"),
        "timerKind": _("Timer kind"),
        "timeDuration": _("Duration (e.g. PT4H, business_days(2))"),
        "timeDate": _("Date (e.g. 2027-01-04T09:00:00-05:00)"),
        "timeCycle": _("Cycle (e.g. R/P1W)"),
        "timerValue": _("Timer value"),
        "interrupting": _("Interrupting (cancels the task when it fires)"),
        "condition": _("Condition (Python expression)"),
        "script": _("Script (restricted Python)"),
        "apply": _("Apply"),
        "applied": _("Changes applied to %(id)s."),
        "addTimer": _("Add a deadline timer to this task"),
        "addLane": _("Add a lane"),
        "appendTask": _("Append a user task"),
        "remove": _("Delete this element"),
        "removed": _("Element deleted."),
        "added": _("Added %(id)s."),
        "fileRead": _("File opened."),
    }
