"""DMN decision tables checked at deploy like scripts: every input expression, input entry and
output entry is compiled by the sandbox's policy in the shape the DMN engine will evaluate it,
so a hostile cell is refused with its rule row instead of failing when a case reaches it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from engine.sandbox import ScriptError, check_expression

# SpiffWorkflow's DMN engine replaces `?` outside quotes with the input's value.
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^\'\"]|[\'\"][^\'\"]*[\'\"])*$)")


def decision_problems(task_spec: Any) -> Iterator[str]:
    """Messages for a business rule task's decision table and the tables of the decisions it
    requires (nothing for other tasks)."""
    engine = getattr(task_spec, "dmnEngine", None)
    pending, seen = [engine] if engine is not None else [], set()
    while pending:
        current = pending.pop()
        table = getattr(current, "decision_table", None)
        if table is None or id(table) in seen:
            continue
        seen.add(id(table))
        yield from _table_problems(table)
        pending.extend(getattr(current, "required", []) or [])


def _table_problems(table: Any) -> Iterator[str]:
    name = getattr(table, "name", None) or getattr(table, "id", "decision")
    for index, column in enumerate(getattr(table, "inputs", []), start=1):
        source = getattr(column, "expression", None)
        if isinstance(source, str) and source.strip():
            yield from _refused(source, f"decision {name!r} input {index}")
    for rule in getattr(table, "rules", []):
        where = f"decision {name!r} rule {getattr(rule, 'row_number', '?')}"
        for entry in getattr(rule, "inputEntries", []):
            source = getattr(getattr(entry, "input", None), "expression", None) or ""
            for cell in getattr(entry, "lhs", []) or []:
                if isinstance(cell, str) and cell.strip():
                    yield from _refused(_as_evaluated(source, cell), f"{where} input entry")
        for entry in getattr(rule, "outputEntries", []):
            text = getattr(entry, "text", None)
            if isinstance(text, str) and text.strip():
                yield from _refused(text, f"{where} output entry")


def _as_evaluated(input_expression: str, cell: str) -> str:
    """The expression the DMN engine builds from an input column and one cell."""
    replaced = _QUESTION_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in replaced:
        return replaced
    try:
        ast.parse(cell, mode="eval")
    except SyntaxError:
        return input_expression + cell  # a cell such as `> 5` continues the input expression
    return f"({input_expression}) == ({cell})"


def _refused(source: str, where: str) -> Iterator[str]:
    try:
        check_expression(source)
    except ScriptError as exc:
        yield f"{where}: {exc}"
