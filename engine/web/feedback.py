"""Domain errors worded for people, in the page's language.

The domain raises typed errors (engine.errors) with English detail for logs and API clients; a
page shows the class's message key translated, a sentence the user can act on.
"""

from __future__ import annotations

from flask_babel import gettext as _

from engine.errors import CasewayError


def explain(exc: Exception) -> str:
    if isinstance(exc, CasewayError):
        return _(exc.message_key)
    return _("That did not work. Please try again.")


DOMAIN_ERRORS: tuple[type[Exception], ...] = (CasewayError,)
