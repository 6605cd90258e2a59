"""The one text normalization case search uses, on SQLite and PostgreSQL alike.

Stored values and queries both go through it, so matching is a plain substring test:
"Marie-Ève", "marie eve" and "MARIE EVE" are all `marie eve`.
"""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """Unicode NFKD, combining marks dropped, casefolded, anything not a letter or digit a
    space, runs of spaces one."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    spaced = "".join(ch if ch.isalnum() else " " for ch in bare)
    return " ".join(spaced.split())


def search_text(client_name: str, key: str) -> str:
    """What a case is found by: its client's name and its key."""
    return f"{normalize(client_name)} | {normalize(key)}"[:500]
