"""The inbox view as a URL, and the views a user saved under a name.

An inbox view (tab, filters, sort, search, page) is its query string: links, the task page's
"Complete and open next" and saved filters all carry that one string, read by `read_view`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from engine.casework import queues
from engine.casework.unit_of_work import changing
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import SavedFilter
from engine.web.casework import MINE, PAGE_SIZE, PAGE_SIZES, InboxQuery
from engine.web.i18n import office_zone

VIEW_KEYS = ("tab", "queue", "process", "due_by", "sort", "q", "per_page")
MAX_SAVED = 20


def read_view(args: MultiDict[str, str]) -> InboxQuery:
    sort = args.get("sort") or "priority"
    per_page = args.get("per_page", PAGE_SIZE, type=int) or PAGE_SIZE
    return InboxQuery(
        tab=args.get("tab") or MINE,
        queue=args.get("queue") or None,
        process_id=args.get("process") or None,
        due_before=_day_after(args.get("due_by")),
        offset=max(args.get("offset", 0, type=int) or 0, 0),
        sort=sort if sort in queues.SORTS else "priority",
        search=(args.get("q") or "").strip()[:100] or None,
        limit=per_page if per_page in PAGE_SIZES else PAGE_SIZE,
    )


def view_string(args: MultiDict[str, str]) -> str:
    """The view's query string without the page offset and empty values (what is saved and
    what "Complete and open next" carries)."""
    return urlencode([(k, v) for k in VIEW_KEYS for v in args.getlist(k) if v][:20])


def parse_view(text: str | None) -> MultiDict[str, str]:
    return MultiDict(parse_qsl(text or "", keep_blank_values=False)[:20])


def saved(svc: Services, principal: Principal) -> list[SavedFilter]:
    with svc.readers() as session:
        return list(
            session.scalars(
                select(SavedFilter)
                .where(SavedFilter.username == principal.username)
                .order_by(SavedFilter.name)
            )
        )


def save(svc: Services, principal: Principal, name: str, query: str) -> bool:
    """Save (or replace) a named view; False when the user already has too many."""
    name = " ".join(name.split())[:80]
    with changing(svc) as session:
        mine = session.scalars(
            select(SavedFilter).where(SavedFilter.username == principal.username)
        ).all()
        same = next((f for f in mine if f.name == name), None)
        if same is not None:
            same.query = query[:1000]
            return True
        if len(mine) >= MAX_SAVED:
            return False
        session.add(
            SavedFilter(
                username=principal.username,
                name=name,
                query=query[:1000],
                created_at=svc.clock.now(),
            )
        )
    return True


def forget(svc: Services, principal: Principal, filter_id: int) -> None:
    with changing(svc) as session:
        session.execute(
            delete(SavedFilter).where(
                SavedFilter.id == filter_id, SavedFilter.username == principal.username
            )
        )


def _day_after(text: str | None) -> datetime | None:
    """ "Due by 2027-03-05" means before the next midnight in the office's zone."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1), time(0), office_zone())
