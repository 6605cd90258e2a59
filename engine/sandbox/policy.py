"""The language filter: RestrictedPython's rules plus Caseway's, compiled once per source text.

The process boundary (see pool.py) is the resource guard; this module decides what a script may
*say*: no imports, classes, dunder access, and every loop, call, handler and finally block starts
with a deadline check, so a caught timeout cannot keep a script running.
"""

from __future__ import annotations

import ast
import functools
import threading
import warnings
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from engine.sandbox.errors import ScriptRejected

SCRIPT_FILENAME = "<string>"  # the name SpiffWorkflow searches tracebacks for to report a line
GUARDED_OPS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}
GUARDED_OPS[ast.FloorDiv] = "//"


def _call(name: str, where: ast.AST, *args: ast.expr) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    return ast.fix_missing_locations(ast.copy_location(node, where))


def _tick_stmt(where: ast.AST) -> ast.Expr:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call("_tick_", where)), where))


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules plus: no imports or classes; `* ** << + %` and f-string fields go
    through size guards; every loop, function, handler and finally block starts with a deadline
    check, so catching ScriptTimeout (or the tracer being unset) cannot keep a script running."""

    def visit_Import(self, node: ast.AST) -> None:
        self.not_allowed(node)

    visit_ImportFrom = visit_ClassDef = visit_Import

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        return _call("_binop_", node, ast.Constant(symbol), node.left, node.right)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec or ast.Constant("")
        field = _call("_format_", node.value, node.value, ast.Constant(node.conversion), spec)
        return ast.copy_location(ast.FormattedValue(field, -1, None), node)

    def _displayed(self, node: Any) -> Any:
        """[*a, *a] doubles in one C call; check the size of displays that unpack."""
        node = self.node_contents_visit(node)
        if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and any(
            isinstance(element, ast.Starred) for element in node.elts
        ):
            return _call("_sized_", node, node)
        return node

    visit_List = visit_Tuple = visit_Set = _displayed

    def visit_comprehension(self, node: Any) -> Any:
        node = super().visit_comprehension(node)
        node.ifs.insert(0, _call("_tick_", node.iter))
        return node

    def visit_Lambda(self, node: Any) -> Any:
        node = super().visit_Lambda(node)
        ticked = ast.BoolOp(ast.And(), [_call("_tick_", node.body), node.body])
        node.body = ast.copy_location(ticked, node.body)
        return node

    def _ticked(self, node: Any) -> Any:
        node = getattr(super(), f"visit_{type(node).__name__}")(node)
        node.body.insert(0, _tick_stmt(node))
        return node

    visit_For = visit_While = visit_FunctionDef = visit_ExceptHandler = _ticked

    def visit_Try(self, node: Any) -> Any:
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _tick_stmt(node.finalbody[0]))
        return node


_compile_lock = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _compile(source: str, mode: str) -> CodeType:
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    with _compile_lock, warnings.catch_warnings():
        # Style warnings about uploaded text (invalid escapes, `is` with a literal) have no reader
        # here and would turn into errors under -W error; the code they flag is well defined.
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            result = compiler(source, SCRIPT_FILENAME, policy=_Policy)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise ScriptRejected(f"invalid script: {type(exc).__name__}: {exc}") from None
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    assert result.code is not None
    return result.code


def check_script(source: str) -> CodeType:
    """Compile a script task body (cached); raises ScriptRejected if the sandbox refuses it."""
    return _compile(source, "exec")


def check_expression(source: str) -> CodeType:
    """Compile a condition/timer/parameter expression (cached); raises ScriptRejected."""
    return _compile(source.strip(), "eval")
