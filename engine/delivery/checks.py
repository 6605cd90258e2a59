"""Deploy-time checks of the notices: every template renders, in every language, and every
notice a diagram or a shipped handler sends has a template (`caseway validate`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.config import Settings
from engine.deadlines.standards import load_standards
from engine.delivery.offices import load_offices
from engine.delivery.templates import NoticeTemplates

# Notices the shipped handlers emit themselves (open_case, request_documents, send_referral,
# closure_survey).
HANDLER_NOTICES = ("application_received", "documents_request", "referral", "closure_survey")
_NOTICE_PARAMETER = re.compile(
    r"""id="notice"[^>]*?value=(?:'"([a-z0-9_]+)"'|"&quot;([a-z0-9_]+)&quot;")"""
)


def notices_in(diagram: str) -> set[str]:
    """Notice kinds a diagram names literally in a `notify` step's `notice` parameter."""
    return {a or b for a, b in _NOTICE_PARAMETER.findall(diagram)}


def check_notices(settings: Settings, diagrams: Iterable[str]) -> list[str]:
    templates = NoticeTemplates(
        settings.notices_dir,
        load_standards(settings.standards_config),
        load_offices(settings.offices_config),
    )
    problems = templates.validate()
    known = templates.kinds()
    wanted = set(HANDLER_NOTICES).union(*(notices_in(d) for d in diagrams))
    for kind in sorted(wanted - set(known)):
        problems.append(
            f"notice {kind!r} is sent but notices/{kind}.en.txt and .fr.txt are missing"
        )
    return problems
