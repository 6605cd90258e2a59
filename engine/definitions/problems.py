"""One problem with an uploaded definition: which file, which element, what is wrong. Shared by
every deploy-time check so a deploy answers all of them at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    element_id: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "element_id": self.element_id, "message": self.message}
