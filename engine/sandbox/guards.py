"""Size guards and the curated builtins scripts see.

C-level work (a huge repetition, a bignum power) cannot be interrupted by a tracer, so the
operators and methods that can grow a value out of proportion to their input are checked before
they run. The sandbox process's memory limit is the backstop for whatever slips through.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, ItemsView, KeysView, Sized, ValuesView
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from types import ModuleType
from typing import Any

from RestrictedPython import safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.sandbox import budget
from engine.sandbox.errors import ScriptRejected, ScriptTooLarge

MAX_INT_BITS = 1 << 20  # C-level bignum arithmetic cannot be interrupted, so keep it quick
_EXPANSION = 32  # generous output characters per character of a strftime/format spec
_TEXT = (str, bytes, bytearray)
_SEQUENCES = (*_TEXT, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)
_DENIED_ATTRIBUTES = INSPECT_ATTRIBUTES | {"format", "format_map", "mro"}
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|[0-9]+)?(?:\.(\*|[0-9]+))?")
_REFUSED = (
    "open eval exec compile getattr setattr delattr hasattr vars globals locals dir input help "
    "exit quit type object super memoryview bytearray bytes classmethod staticmethod property "
    "id format breakpoint copyright credits license aiter anext"
).split()
_OPERATOR_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv"}
_OPERATOR_NAMES.update({"%": "mod", "**": "pow", "<<": "lshift", ">>": "rshift", "&": "and_"})
_OPERATOR_NAMES.update({"|": "or_", "^": "xor", "@": "matmul"})
_BINOPS = {sym: getattr(operator, _OPERATOR_NAMES[sym]) for sym in "* ** << + % //".split()}
_CONVERSIONS: dict[int, Callable[[object], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
_INPLACE = {
    f"{sym}=": getattr(operator, "i" + name.rstrip("_")) for sym, name in _OPERATOR_NAMES.items()
}


def _number(digits: str) -> int:
    """A width/precision field; absurdly long digit runs count as huge without parsing them."""
    if not digits.isdigit():
        return 0
    return int(digits) if len(digits) < 19 else 10**19


def _largest_number(text: str) -> int:
    return max((_number(d) for d in re.findall(r"[0-9]+", text)), default=0)


def _translated(s: str, table: Any) -> int:
    values = table.values() if isinstance(table, dict) else table
    return len(s) * max((len(v) for v in values if isinstance(v, str)), default=1)


def _width(_s: Any, width: int = 0, *_: Any) -> int:
    return width


# Methods whose output can dwarf their input: name -> (receiver types, output size estimate).
_SIZE_RULES: dict[str, tuple[tuple[type, ...], Callable[..., int]]] = {
    **dict.fromkeys(["ljust", "rjust", "center", "zfill"], (_TEXT, _width)),
    "expandtabs": (_TEXT, lambda s, tabsize=8: len(s) * max(tabsize, 1)),
    "replace": (_TEXT, lambda s, old, new, *_: len(s) + len(new) * s.count(old)),
    "translate": ((str,), _translated),
    "extend": ((list,), lambda lst, other: len(lst) + len(other)),
    "to_bytes": ((int,), lambda n, length=1, *_, **__: length),
    "strftime": ((date, time_of_day), lambda d, fmt: _EXPANSION * len(fmt) + _largest_number(fmt)),
    "join": (_TEXT, lambda sep, items: 0),  # materialised and checked by _join
}


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _refusal(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ScriptRejected(f"{name}() is not available in scripts")

    return refuse


class _NoPrint:
    """print() goes nowhere: there is no reader, and collecting output would grow memory."""

    def __init__(self, _getattr_: Any = None) -> None: ...
    def _call_print(self, *args: Any, **kwargs: Any) -> None: ...
    def __call__(self) -> str:
        return ""


class _ListWriter:
    """Item writes to a list, except slice assignments that outgrow the size limit."""

    def __init__(self, target: list[Any], guards: SizeGuards) -> None:
        self.target, self.guards = target, guards

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice) and isinstance(value, Sized):
            self.guards.limit(len(self.target) + len(value), "slice assignment")
        self.target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.target[key]


class _StrType(type):
    """Metaclass of the scripts' `str`: isinstance checks and str.method work as usual, but
    str(x) is size-checked first, since the text of an aliased container ([s] * n) explodes."""

    _guards: SizeGuards

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)

    def __call__(cls, *args: Any, **kwargs: Any) -> str:
        if args:
            cls._guards.limit(cls._guards.rendered_size(args[0]), "str()")
        return str(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(str, name)


# safe_builtins minus: class creation, its own guards, id(), builtins replaced by sized versions
# below, and exceptions that would stop the worker (SystemExit, KeyboardInterrupt) if raised.
_DROPPED = "__build_class__ _getattr_ setattr delattr id divmod pow range repr str sum zip".split()
_DROPPED += ["BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"]
_BASE_BUILTINS = {k: v for k, v in safe_builtins.items() if k not in _DROPPED}
_BASE_BUILTINS.update({f.__name__: f for f in (all, any, dict, enumerate, filter, frozenset)})
_BASE_BUILTINS.update({f.__name__: f for f in (list, map, max, min, next, reversed, set, sorted)})
_BASE_BUILTINS.update(tuple=tuple, datetime=datetime, date=date, timedelta=timedelta)
_BASE_BUILTINS.update(timezone=timezone, **{name: _refusal(name) for name in _REFUSED})
_BASE_BUILTINS["iter"] = lambda iterable, /: iter(iterable)  # iter(f, sentinel) never ends, in C


class SizeGuards:
    """The guard functions RestrictedPython's compiled code calls, bound to one size limit."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.int_bits = min(8 * max_size, MAX_INT_BITS)
        guards: dict[str, Any] = {"_getattr_": self._getattr, "_getitem_": operator.getitem}
        guards.update(_getiter_=iter, _iter_unpack_sequence_=guarded_iter_unpack_sequence)
        guards.update(_write_=self._write)
        guards.update(_unpack_sequence_=guarded_unpack_sequence, _inplacevar_=self._inplace)
        guards.update(_apply_=_apply, _print_=_NoPrint, _print=_NoPrint(), _tick_=budget.tick)
        guards.update(_binop_=self._binop, _format_=self._format, _sized_=self._sized)
        self.guards = guards
        sized: dict[str, Any] = {"pow": self._pow, "range": self._range, "repr": self._repr}
        sized.update(sum=self._sum, zip=self._zip, divmod=self._divmod)
        sized["str"] = _StrType("str", (), {"_guards": self})
        self.builtins = {**_BASE_BUILTINS, **sized, **guards}

    def limit(self, size: int, what: str) -> None:
        if size > self.max_size:
            raise ScriptTooLarge(f"{what} would exceed the size limit of {self.max_size:,}")

    def rendered_size(self, obj: Any) -> int:
        """Lower bound on len(str(obj)), counted only up to the limit."""
        total, stack = 0, [obj]
        while stack and total <= self.max_size:
            item = stack.pop()
            if isinstance(item, _TEXT):
                total += len(item)
            elif isinstance(item, int):
                total += item.bit_length() // 4 + 1
            elif isinstance(item, (dict, *_CONTAINERS)):
                total += 2 + 2 * len(item)
                if total <= self.max_size:
                    stack.extend(item.items() if isinstance(item, dict) else item)
            else:
                total += 1
        return total

    def _precheck(self, symbol: str, a: Any, b: Any) -> None:
        if symbol == "%" and isinstance(a, str | bytes):
            text = a.decode("latin-1") if isinstance(a, bytes) else a
            specs = _PERCENT_SPEC.findall(text)
            size = len(text) + sum(_number(n) for spec in specs for n in spec)
            if any("*" in spec for spec in specs):
                args = b if isinstance(b, tuple) else (b,)
                size += sum(abs(v) for v in args if isinstance(v, int))
            return self.limit(size + len(specs) * self.rendered_size(b), "%-formatting")
        if not (isinstance(a, int) and isinstance(b, int)):
            seq, n = (a, b) if isinstance(b, int) else (b, a)
            if symbol == "*" and isinstance(seq, _SEQUENCES) and isinstance(n, int):
                self.limit(len(seq) * n, "repetition")
            elif symbol == "+" and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
                self.limit(len(a) + len(b), "concatenation")
            return None
        if symbol in ("//", "%"):  # long division is quadratic, and runs in C
            bits = max(a.bit_length(), b.bit_length())
        elif symbol == "*":
            bits = a.bit_length() + b.bit_length()
        elif symbol == "**":
            bits = (abs(a).bit_length() - 1) * b
        elif symbol == "<<":
            bits = a.bit_length() + b if a else 0
        else:
            return None
        if bits > self.int_bits:
            raise ScriptTooLarge(f"integer result would exceed {self.int_bits:,} bits")
        return None

    def _write(self, obj: Any) -> Any:
        if isinstance(obj, list):
            return _ListWriter(obj, self)
        if isinstance(obj, dict):
            return obj
        raise ScriptRejected(f"scripts may not modify {type(obj).__name__} objects")

    def _sized(self, value: Any) -> Any:
        self.limit(len(value), "unpacking")
        return value

    def _binop(self, symbol: str, a: Any, b: Any) -> Any:
        self._precheck(symbol, a, b)
        return _BINOPS[symbol](a, b)

    def _inplace(self, op: str, target: Any, value: Any) -> Any:
        self._precheck(op[:-1], target, value)
        return _INPLACE[op](target, value)

    def _format(self, value: Any, conversion: int, spec: str) -> str:
        size = self.rendered_size(value) + _largest_number(spec) + _EXPANSION * len(spec)
        self.limit(size, "formatted field")
        if conversion != -1:
            value = _CONVERSIONS[conversion](value)
        return format(value, spec)

    def _getattr(self, obj: Any, name: str) -> Any:
        """Refuses `_` names, frame/code internals, str.format (its fields read attributes)."""
        if not isinstance(name, str) or name.startswith("_") or name in _DENIED_ATTRIBUTES:
            raise ScriptRejected(f"attribute {name!r} is not accessible from scripts")
        rule = _SIZE_RULES.get(name)
        if rule is not None and isinstance(obj, type):
            raise ScriptRejected(f"call {name}() on a value, not on its type")
        value: Any = getattr(obj, name)
        if isinstance(value, ModuleType):  # e.g. a helper module's own imports: os, sys
            raise ScriptRejected(f"attribute {name!r} is a module; scripts may not reach modules")
        if rule is None or not isinstance(obj, rule[0]):
            return value
        if name == "join":  # a closure, not a partial: nothing of the sandbox to inspect
            return lambda items: self._join(obj, items)
        estimate = rule[1]

        def sized(*args: Any, **kwargs: Any) -> Any:
            try:
                too_big = estimate(obj, *args, **kwargs) > self.max_size
            except (TypeError, ValueError, OverflowError):
                too_big = False  # a bad call: let the method itself report it
            if too_big:
                raise ScriptTooLarge(f"{name}() would exceed the size limit of {self.max_size:,}")
            return value(*args, **kwargs)

        return sized

    def _join(self, sep: Any, items: Any) -> Any:
        items = list(items)
        size = len(sep) * max(len(items) - 1, 0) + sum(
            len(i) for i in items if isinstance(i, _TEXT)
        )
        self.limit(size, "join()")
        return sep.join(items)

    def _repr(self, obj: Any) -> str:
        self.limit(self.rendered_size(obj), "repr()")
        return repr(obj)

    def _pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is not None:
            raise ScriptRejected("three-argument pow() is not available in scripts")
        return self._binop("**", base, exp)

    def _divmod(self, a: Any, b: Any) -> tuple[Any, Any]:
        return self._binop("//", a, b), self._binop("%", a, b)

    def _range(self, *args: int) -> range:
        """Capped: sum(), list() or sorted() over a huge range would run in C, unstoppable."""
        result = range(*args)
        try:
            self.limit(len(result), "range()")
        except OverflowError:
            self.limit(sys.maxsize, "range()")
        return result

    def _sum(self, iterable: Any, /, start: Any = 0) -> Any:
        if isinstance(start, _SEQUENCES):
            raise ScriptRejected("sum() only adds numbers in scripts; use a loop or join()")
        return sum(iterable, start)

    def _zip(self, *iterables: Any, strict: bool = False) -> zip:
        sizes = [len(i) for i in iterables if isinstance(i, Sized)]
        self.limit(min(sizes, default=0) * len(iterables), "zip()")
        return zip(*iterables, strict=strict)
