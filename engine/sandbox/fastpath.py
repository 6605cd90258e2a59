"""Which expressions may run in the server process: the ones proven bounded by their syntax.

A gateway condition or timer value such as `amount > 250 and status == "open"` or
`business_days(standard("applicant_contact_business_days"))` costs microseconds in process and a
pipe round trip in the pool. It stays in process only if its tree holds no loops (no
comprehensions, lambdas), no operators that can grow a value without bound (`*`, `**`, `<<`,
`%`, `//`, `@`), no f-strings, and no calls except to a short list of trusted, bounded functions.
Its cost is then linear in the size of the task data it reads: every `+` still goes through the
size guard (one step at most `max_size` long) and the interpreter's deadline stops a chain of
them. Everything else goes to the pool.
"""

from __future__ import annotations

import ast
import functools

# Calls allowed in process: the trusted helpers (capped: see deadlines/business_time.py) and
# builtins that are linear in their argument.
TRUSTED_CALLS = frozenset(
    "now business_days business_hours end_of_business_day standard timedelta datetime date len str "
    "int float bool abs min max".split()
)
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Div,
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Call,
    ast.keyword,
)
MAX_SOURCE = 2_000  # a long expression is not a hot-path condition; bounded, but send it away
MAX_NODES = 200


@functools.lru_cache(maxsize=4096)
def is_bounded(source: str) -> bool:
    """True when `source` is an expression whose cost is bounded by its inputs' size."""
    if len(source) > MAX_SOURCE:
        return False
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return False
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            return False
        if isinstance(node, ast.Call) and not _trusted_call(node):
            return False
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
    return True


def _trusted_call(node: ast.Call) -> bool:
    named = isinstance(node.func, ast.Name) and node.func.id in TRUSTED_CALLS
    unpacked = any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    )
    return named and not unpacked
