"""Helpers shared by the runtime tests: compile a fixture, drive an instance by task name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.clock import FakeClock
from engine.definitions.compile import SourceFile, compile_bundle
from engine.definitions.forms import FormSource
from engine.runtime import LoadedSpec, Outcome, RunContext, Runtime
from handlers import HandlerRegistry

FIXTURES = Path(__file__).parent / "fixtures"
RUN = RunContext(instance_id="instance-1", business_key="case-1")


def load(name: str, registry: HandlerRegistry | None = None, process: str | None = None):
    source = SourceFile(name, (FIXTURES / name).read_bytes())
    compiled = compile_bundle([source], FormSource(None), registry or HandlerRegistry())
    chosen = (
        compiled[0] if process is None else next(c for c in compiled if c.process_id == process)
    )
    return LoadedSpec.from_json(chosen.spec_json)


class Case:
    """One instance driven through `Runtime`, state round-tripped as text after every command."""

    def __init__(self, fixture: str, data: dict[str, Any] | None = None, **kw: Any) -> None:
        self.registry: HandlerRegistry = kw.pop("registry", None) or HandlerRegistry()
        self.clock = FakeClock()
        self.spec = load(
            fixture, kw.pop("compile_registry", self.registry), kw.pop("process", None)
        )
        self.runtime = Runtime(self.registry, self.clock, **kw.pop("runtime_options", {}))
        self.outcome: Outcome = self.runtime.start(self.spec, data or {}, RUN)

    @property
    def state(self) -> str:
        return self.outcome.state

    def names(self) -> list[str]:
        return sorted(task.name for task in self.outcome.open_tasks)

    def task_id(self, name: str) -> str:
        return next(task.task_id for task in self.outcome.open_tasks if task.name == name)

    def complete(self, name: str, data: dict[str, Any] | None = None) -> Outcome:
        task_id = self.task_id(name)
        return self.do(self.runtime.complete_task, task_id, data or {})

    def do(self, command: Callable[..., Outcome], *args: Any) -> Outcome:
        self.outcome = command(self.spec, self.state, *args, RUN)
        return self.outcome
