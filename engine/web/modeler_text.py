"""Words the modeler's script shows, in the page's language.

Two kinds: Caseway's own panel and messages, and bpmn-js's palette and context-pad tooltips
(bpmn-js asks a `translate` function for each; the French ones come from our catalog too).
"""

from __future__ import annotations

from flask_babel import gettext as _


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
    }


def modeler_text() -> dict[str, object]:
    return {
        "bpmnjs": bpmn_js_translations(),
        "loaded": _("Diagram loaded."),
        "loadFailed": _("The diagram could not be opened: %(reason)s"),
        "importWarnings": _("Opened with %(count)s warning(s)."),
        "validating": _("Checking the diagram on the server…"),
        "valid": _("The diagram is valid: %(processes)s."),
        "invalid": _("The server found %(count)s problem(s); they are listed and marked in red."),
        "deploying": _("Deploying…"),
        "deployed": _("Deployed %(process)s version %(version)s."),
        "unchanged": _("%(process)s is unchanged (still version %(version)s)."),
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
