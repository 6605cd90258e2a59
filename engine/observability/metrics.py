"""Prometheus metrics. Counters are updated as requests run; queue gauges are read from the
indexed task and timer rows when Prometheus scrapes, so they are never stale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from engine.services import Services
from engine.statuses import TaskStatus
from engine.store.models import HumanTask, Incident, Timer


class Metrics:
    """One registry per app (tests build many apps; a global registry would collide)."""

    def __init__(self, svc: Services) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "caseway_http_requests",
            "HTTP requests answered",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "caseway_http_request_seconds",
            "HTTP request latency (commands included: one request runs one command)",
            ["method", "endpoint"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.timers_fired = Counter(
            "caseway_timers_fired", "Instances whose due timers fired", registry=self.registry
        )
        self.registry.register(_WorkCollector(svc))


class _WorkCollector(Collector):
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Any]:
        now = self.svc.clock.now()
        open_tasks = GaugeMetricFamily("caseway_open_tasks", "Open human tasks", labels=["queue"])
        overdue = GaugeMetricFamily(
            "caseway_overdue_tasks", "Open tasks past due", labels=["queue"]
        )
        with self.svc.readers() as session:
            for queue, count in session.execute(
                select(HumanTask.queue, func.count())
                .where(HumanTask.status == TaskStatus.OPEN)
                .group_by(HumanTask.queue)
            ):
                open_tasks.add_metric([queue], count)
            for queue, count in session.execute(
                select(HumanTask.queue, func.count())
                .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now)
                .group_by(HumanTask.queue)
            ):
                overdue.add_metric([queue], count)
            due = session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= now))
            incidents = session.scalar(
                select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))
            )
        yield open_tasks
        yield overdue
        yield GaugeMetricFamily(
            "caseway_timers_due", "Timers due now, not yet fired", value=due or 0
        )
        yield GaugeMetricFamily(
            "caseway_open_incidents", "Incidents not yet resolved", value=incidents or 0
        )
