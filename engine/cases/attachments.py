"""Documents on a case: PDF, JPEG or PNG (recognized by their first bytes, never by what the
client claims), at most 10 MB (counted while the upload is read), kept in the database or,
when CASEWAY_ATTACHMENTS_DIR is set, as files named by a random id in that directory."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.errors import NotFound, TooLarge, UnsupportedType
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import Case, CaseAttachment

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class Upload:
    content: bytes
    content_type: str


def read_upload(chunks: Iterable[bytes], limit: int = MAX_BYTES) -> Upload:
    """Read at most `limit` bytes (TooLarge as soon as one more arrives) and sniff the type."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"a file may be at most {limit // (1024 * 1024)} MB")
        parts.append(chunk)
    content = b"".join(parts)
    return Upload(content, sniff(content))


def sniff(content: bytes) -> str:
    for signature, content_type in SIGNATURES:
        if content.startswith(signature):
            return content_type
    raise UnsupportedType("only PDF, JPEG and PNG files are accepted")


def add_attachment(
    svc: Services,
    session: Session,
    principal: Principal,
    case: Case,
    filename: str,
    upload: Upload,
) -> CaseAttachment:
    """Insert the row (and write the file, when stored in a directory) in the caller's
    transaction; `discard` removes the file again if that transaction does not commit."""
    directory = svc.settings.attachments_dir
    stored_name = None
    if directory is not None:
        stored_name = uuid.uuid4().hex
        directory.mkdir(parents=True, exist_ok=True)
        (directory / stored_name).write_bytes(upload.content)
    now = svc.clock.now()
    item = CaseAttachment(
        case_id=case.id,
        filename=_safe_name(filename),
        content_type=upload.content_type,
        size_bytes=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        uploaded_by=principal.username,
        uploaded_at=now,
        content=None if stored_name else upload.content,
        stored_name=stored_name,
    )
    session.add(item)
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="case.attachment",
        case_id=case.id,
        attachment_id=item.id,
        sha256=item.sha256,
    )
    return item


def discard(svc: Services, item: CaseAttachment | None) -> None:
    if item is not None and item.stored_name and svc.settings.attachments_dir is not None:
        (svc.settings.attachments_dir / item.stored_name).unlink(missing_ok=True)


def list_attachments(
    session: Session, case: Case, limit: int, offset: int
) -> tuple[list[CaseAttachment], int]:
    query = select(CaseAttachment).where(CaseAttachment.case_id == case.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(CaseAttachment.uploaded_at.desc(), CaseAttachment.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def attachment_of(session: Session, case: Case, attachment_id: int) -> CaseAttachment:
    item = session.get(CaseAttachment, attachment_id)
    if item is None or item.case_id != case.id:
        raise NotFound(f"attachment {attachment_id} not found on case {case.key!r}")
    return item


def content_of(svc: Services, item: CaseAttachment) -> bytes:
    if item.content is not None:
        return item.content
    directory = svc.settings.attachments_dir
    if directory is None or item.stored_name is None:
        raise NotFound(f"attachment {item.id}: its file store is not configured")
    return (Path(directory) / item.stored_name).read_bytes()


def _safe_name(filename: str) -> str:
    """The base name only (no folders), printable, at most 255 characters."""
    name = PurePath(filename.replace("\\", "/")).name
    cleaned = "".join(ch for ch in name if ch.isprintable()).strip()
    return (cleaned or "document")[:255]
