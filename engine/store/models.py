"""SQLAlchemy 2 models. Instance state is the truth; task, timer and wait rows are indexes of it
kept in the same transaction, so inbox and deadline queries never load workflows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.store import append_only
from engine.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(80), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where staff notices (reminders, escalations) go; None: in-app notifications only.
    email: Mapped[str | None] = mapped_column(String(300), nullable=True)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(80), primary_key=True)

    __table_args__ = (Index("ix_user_role_role", "role"),)


class ExternalIdentity(Base):
    """A provider identity (issuer + subject) bound to one local user: how later sign-ins
    find the account, whatever username the provider shows."""

    __tablename__ = "external_identity"

    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[str] = mapped_column(String(80))


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Definition(Base):
    """One immutable deployed version of one process id."""

    __tablename__ = "definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    # The start event's form: `data` given to a start is checked against it.
    start_form_key: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_definition_process_version"),
        Index("ix_definition_process_sha", "process_id", "sha256"),
    )


class DefinitionFile(Base):
    __tablename__ = "definition_file"

    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class DefinitionForm(Base):
    """Forms are snapshotted with the version so running cases keep the form they started with."""

    __tablename__ = "definition_form"

    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id"), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    schema_json: Mapped[str] = mapped_column(Text)
    ui_schema_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class OfficeClosure(Base):
    """A day an office is closed beyond statutory holidays; business time skips it."""

    __tablename__ = "office_closure"

    office: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficeSetting(Base):
    """An office's own choices the engine acts on: where a four-eyes step goes when nobody
    else in the office may take it (a peer office's supervisors, or a named delegate)."""

    __tablename__ = "office_setting"

    office: Mapped[str] = mapped_column(String(80), primary_key=True)
    four_eyes_peer_office: Mapped[str | None] = mapped_column(String(80), nullable=True)
    four_eyes_delegate: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessInstance(Base):
    __tablename__ = "process_instance"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str] = mapped_column(String(200), index=True)
    office: Mapped[str] = mapped_column(String(80), index=True)
    # The case it belongs to; None only for timer-started schedules (no client; see docs/cases.md).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("client_case.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Text, never JSONB: SpiffWorkflow's delta encoding depends on key order.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    data_json: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    __tablename__ = "human_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(80))
    # Copied from the case when the task opens, so the inbox shows them without a join.
    case_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    task_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    queue: Mapped[str] = mapped_column(String(80))
    form_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    submitted_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Why a task closed without being completed: "escalated" (interrupting timer) or "cancelled".
    closed_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Four eyes: users who completed the tasks named by the `fourEyesWith` property may not act.
    excluded_users: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # Named people who may take the task besides its queue (BPMN potentialOwner users,
    # camunda:candidateUsers), stored ",ann,bob," so one LIKE finds a name.
    candidate_users: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Inbox marks from the task's data when it opened (engine/runtime/task_marks.py):
    # 0 normal, 1 high, 2 urgent; and a detail line such as the need and partner of a referral.
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The timer whose deadline row dates this task (its own boundary timer, or its enclosing
    # subprocess's): a calendar change or a stopped clock moves `due_at` through it.
    deadline_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    __table_args__ = (
        Index("ix_human_task_inbox", "status", "queue", "office", "due_at"),
        Index("ix_human_task_assignee", "assignee", "status", "due_at"),
        Index("ix_human_task_due", "status", "due_at"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
        # Open tasks only (a small slice of the table once cases close): the inbox pages read
        # these in due order and stop after one page.
        Index(
            "ix_human_task_open_queue",
            "office",
            "queue",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # "Urgent first": the few raised open tasks, read before the due-ordered slices.
        Index(
            "ix_human_task_open_raised",
            "office",
            "priority",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open' AND priority > 0"),
            sqlite_where=text("status = 'open' AND priority > 0"),
        ),
        # "Newest first" per queue and per assignee (read backwards).
        Index(
            "ix_human_task_open_queue_created",
            "office",
            "queue",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_human_task_open_assignee_created",
            "assignee",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_human_task_open_assignee",
            "assignee",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_human_task_open_office",
            "office",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
            # the service-standards report counts from this index alone (PostgreSQL)
            postgresql_include=["queue", "process_id", "task_name", "title"],
        ),
        Index(
            "ix_human_task_office_closed",
            "office",
            "completed_at",
            postgresql_where=text("completed_at IS NOT NULL"),
            sqlite_where=text("completed_at IS NOT NULL"),
            postgresql_include=[
                "queue",
                "process_id",
                "task_name",
                "title",
                "status",
                "closed_reason",
                "created_at",
                "due_at",
            ],
        ),
        Index(
            "ix_human_task_open_due",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )


class Timer(Base):
    __tablename__ = "timer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attached_to: Mapped[str | None] = mapped_column(String(36), nullable=True)
    interrupting: Mapped[bool] = mapped_column(Boolean, default=False)


class MessageWait(Base):
    __tablename__ = "message_wait"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    message_name: Mapped[str] = mapped_column(String(200), index=True)
    correlation: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (Index("ix_message_wait_lookup", "message_name", "correlation"),)


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class OutboxEntry(Base):
    """Notifications handlers asked for; a channel adapter drains them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # Delivery (engine/delivery): the dispatcher claims due pending rows under a lease.
    office: Mapped[str | None] = mapped_column(String(80), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(80), nullable=True)  # notice template
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    handled_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_office_status", "office", "status"),
    )


class AuditEvent(Base):
    """Append-only: the application only ever inserts here."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")


append_only.attach(AuditEvent.__table__)  # type: ignore[arg-type]


# -- cases -------------------------------------------------------------------------------------


class Case(Base):
    """A client's case, the unit of work (DESIGN rule 9): every process instance belongs to one.

    The key is unique per office. `client_search` holds the client's name and the key through
    engine.cases.search.normalize, so one plain substring match is accent- and case-insensitive
    on both databases (a trigram GIN index serves it on PostgreSQL).
    """

    __tablename__ = "client_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    client_name: Mapped[str] = mapped_column(String(200))
    client_search: Mapped[str] = mapped_column(String(500))
    preferred_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # "Do not leave messages / do not mail": contact only in person or as the client asked.
    safe_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (
        UniqueConstraint("office", "key", name="uq_client_case_office_key"),
        Index("ix_client_case_office_opened", "office", "opened_at"),
        Index("ix_client_case_office_birth", "office", "date_of_birth"),
        Index(
            "ix_client_case_search",
            "client_search",
            postgresql_using="gin",
            postgresql_ops={"client_search": "gin_trgm_ops"},
        ),
    )


class CaseKeySequence(Base):
    """The last number handed out per office and year (`C-2026-000123`)."""

    __tablename__ = "case_key_sequence"

    office: Mapped[str] = mapped_column(String(80), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class CaseNote(Base):
    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseAttachment(Base):
    """A document on a case; the bytes live in `content` or, when configured, in a directory."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("client_case.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    stored_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


# -- supervision: case ownership, absences ----------------------------------------------------


class CaseOwner(Base):
    """A case's primary caseworker (continuity of care); a case is a business key in an office."""

    __tablename__ = "case_owner"

    office: Mapped[str] = mapped_column(String(80), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(80))


class Absence(Base):
    """A period a worker is away; while it runs, their work goes to the cover or the queue.

    Only a reason category is kept, never personal detail (why someone is sick is not ours).
    """

    __tablename__ = "absence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    office: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cover: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reason_category: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the start moves ran (at creation if it starts at once, else by the scheduler).
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (
        Index("ix_absence_user", "username", "starts_at"),
        Index("ix_absence_office", "office", "ends_at"),
        Index("ix_absence_pending", "applied_at", "starts_at"),
    )


class AbsenceTask(Base):
    """A task an absence sent away from the worker, so a supervisor can hand it back later."""

    __tablename__ = "absence_task"

    absence_id: Mapped[int] = mapped_column(ForeignKey("absence.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    moved_to: Mapped[str | None] = mapped_column(String(80), nullable=True)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Reassigning or routing by case reads open tasks of one business key in one office.
Index("ix_human_task_case", HumanTask.office, HumanTask.business_key, HumanTask.status)
Index("ix_process_instance_office_created", ProcessInstance.office, ProcessInstance.created_at)
# GET /api/tasks?case=KEY
Index("ix_human_task_case_key", HumanTask.case_key, HumanTask.status)


class IdempotencyKey(Base):
    """A client's `Idempotency-Key`, scoped to its user.

    Inserted by the transaction that records the caller's audited action (the command's own), so
    the command's effects and its key commit or roll back together; the answer is stored right
    after. `resource_id` is the instance the command acted on, to answer again from it if the
    process died between the commit and storing the answer.
    """

    __tablename__ = "idempotency_key"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    resource_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# Case search's trigram index needs pg_trgm wherever the schema is built from the models.
event.listen(
    Case.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
# -- delivery: partners, letters, in-app staff notifications ------------------------------------


class Partner(Base):
    """A partner organization of one office that receives warm referrals."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(80))  # what diagrams name (send_referral partner=)
    name: Mapped[str] = mapped_column(String(200))
    services_json: Mapped[str] = mapped_column(Text, default="[]")  # needs domains
    languages_json: Mapped[str] = mapped_column(Text, default='["en"]')
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Fernet token of the webhook signing secret (key from settings), never the secret itself.
    secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The partner's API account (its token posts accept/decline messages).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("office", "key", name="uq_partner_office_key"),)


class Letter(Base):
    """A printable notice waiting to be printed and mailed (the letter channel's output)."""

    __tablename__ = "letter"

    outbox_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox.id"), primary_key=True
    )
    office: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    printed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (Index("ix_letter_office_created", "office", "created_at"),)


class StaffNotification(Base):
    """An in-app notice for one staff member (the bell); one per outbox row and person."""

    __tablename__ = "staff_notification"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), nullable=True
    )
    username: Mapped[str] = mapped_column(String(80))
    office: Mapped[str] = mapped_column(String(80))
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("outbox_id", "username", name="uq_staff_notification_outbox_user"),
        Index("ix_staff_notification_user", "username", "read_at"),
    )


class TaskDraft(Base):
    """What one user typed into one task's form and has not completed yet: kept across
    reloads, validation errors and a lost claim; gone when the task is completed."""

    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    values_json: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedFilter(Base):
    """A user's named inbox view (its query string: tab, filters, sort, search)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("username", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientLink(Base):
    """A signed, expiring, single-use link that lets a client answer one task's form from home
    (engine/cases/client_links.py). Only the link id is stored; the signature is recomputed."""

    __tablename__ = "client_link"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("client_case.id"), nullable=True)
    case_key: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(80))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), index=True)
    task_title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (Index("ix_client_link_case", "case_key", "office"),)


class WorkQueue(Base):
    """A queue as data: lanes and candidate groups name one by key. Who holds it: the people
    with one of `roles` or named in `users` (comma-separated), in `office` (None: every
    office). A role's own key is a queue of that role even without a row."""

    __tablename__ = "work_queue"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(400), default="", server_default="")
    users: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    office: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutcomeRecord(Base):
    """One outcome of a client's service (a referral connected or not, a plan goal, a
    financial-empowerment result, a closure-survey answer), written in the transaction of the
    task completion (or survey answer) that produced it; read by the outcomes report."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    office: Mapped[str] = mapped_column(String(80))
    case_key: Mapped[str] = mapped_column(String(200))  # the business key (case number)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))  # referral, plan_goal, financial, survey
    need: Mapped[str | None] = mapped_column(String(80), nullable=True)
    partner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    result: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of recorded_at in the office's zone
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))

    __table_args__ = (
        Index("ix_outcome_office_month", "office", "month"),
        Index("ix_outcome_case", "office", "case_key"),
    )


class ExternalTask(Base):
    """A task waiting for an external worker (Camunda 7 fetch-and-lock): an index of the
    instance state like `human_task`, plus the lock a worker holds on it and its retries."""

    __tablename__ = "external_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    office: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    activity_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_external_task_fetch", "office", "topic", "lock_expires_at"),)


class ApiTokenTopic(Base):
    """A worker token's scope: the external-task topics it may fetch (its office is its user's)."""

    __tablename__ = "api_token_topic"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)


# -- deadlines that follow the calendar (docs/timers.md) --------------------------------------


class Deadline(Base):
    """How a business-time timer's due time was computed, so it can be computed again when the
    office calendar changes or the clock stops. Open while its timer waits; kept afterwards so
    the report can tell the due time with and without stopped clocks."""

    __tablename__ = "deadline"

    timer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    office: Mapped[str] = mapped_column(String(80))
    timer_name: Mapped[str] = mapped_column(String(200))
    attached_to: Mapped[str | None] = mapped_column(String(36), nullable=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))  # business_days | business_hours
    standard_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    calendar_version: Mapped[str] = mapped_column(String(16))
    paused_hours: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_without_pauses: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed

    __table_args__ = (Index("ix_deadline_office_open", "office", "status", "due_at"),)


class ClockPause(Base):
    """A stretch of time a service standard's clock stood still while the office waited on the
    client (an element with the `pausesStandard` property was waiting)."""

    __tablename__ = "clock_pause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    office: Mapped[str] = mapped_column(String(80))
    standard_key: Mapped[str] = mapped_column(String(80))
    element_id: Mapped[str] = mapped_column(String(36))
    element_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    business_hours: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_clock_pause_instance", "instance_id", "ended_at"),)
