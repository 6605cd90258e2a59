"""The wiring: settings, database, clock, runtime and caches, built once per process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.deadlines.calendar import load_calendars
from engine.deadlines.standards import load_standards
from engine.identity.token_cache import TokenCache
from engine.runtime import LoadedSpec, Runtime
from engine.sandbox.limits import MB, SandboxLimits
from engine.sandbox.runner import shared_runner
from engine.store.db import make_engine, read_session_factory, session_factory
from handlers import HandlerRegistry, default_registry


class SpecCache:
    """Parsed specs by definition id; definitions are immutable, so entries never go stale."""

    def __init__(self, capacity: int = 256) -> None:
        self._items: OrderedDict[int, LoadedSpec] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, definition_id: int, spec_json: str | Callable[[], str]) -> LoadedSpec:
        """The parsed spec; `spec_json` may be a loader, so a hit never reads the (large) text."""
        with self._lock:
            found = self._items.get(definition_id)
            if found is not None:
                self._items.move_to_end(definition_id)
                return found
        loaded = LoadedSpec.from_json(spec_json() if callable(spec_json) else spec_json)
        with self._lock:
            self._items[definition_id] = loaded
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return loaded


@dataclass(frozen=True)
class CachedForm:
    schema: dict[str, Any]
    ui: dict[str, Any] | None


class FormCache:
    """Form snapshots by (definition id, form key): a deployed version's forms never change."""

    def __init__(self, capacity: int = 2048) -> None:
        self._items: OrderedDict[tuple[int, str], CachedForm | None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(
        self, definition_id: int, form_key: str, load: Callable[[], CachedForm | None]
    ) -> CachedForm | None:
        key = (definition_id, form_key)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        found = load()
        with self._lock:
            self._items[key] = found
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return found


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    registry: HandlerRegistry
    runtime: Runtime
    # Sessions that only read (no transaction round trips on PostgreSQL); see store/db.py.
    readers: sessionmaker[Session] = field(init=False)
    specs: SpecCache = field(default_factory=SpecCache)
    forms: FormCache = field(default_factory=FormCache)
    # Set by the in-process scheduler on every pass; readiness reports a stalled scheduler.
    heartbeat: datetime | None = None
    metrics: Any = None
    tokens: TokenCache | None = None

    def __post_init__(self) -> None:
        self.readers = read_session_factory(self.engine)
        if self.tokens is None:
            self.tokens = TokenCache(self.settings.auth_cache_seconds)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        registry: HandlerRegistry | None = None,
    ) -> Services:
        clock = clock or SystemClock()
        registry = registry or default_registry()
        engine = make_engine(
            settings.database_url,
            lock_timeout_ms=settings.db_lock_timeout_ms,
            idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
            transaction_pooler=settings.db_transaction_pooler,
        )
        runtime = Runtime(
            registry,
            clock,
            script_time_limit=settings.script_time_limit,
            sandbox=shared_runner(
                SandboxLimits(
                    time_limit=settings.script_time_limit,
                    memory_bytes=settings.script_memory_mb * MB,
                    workers=settings.sandbox_workers,
                )
            ),
            calendars=load_calendars(settings.calendar_config),
            standards=load_standards(settings.standards_config),
        )
        return cls(settings, engine, session_factory(engine), clock, registry, runtime)
