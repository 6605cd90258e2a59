"""The restricted interpreter (what runs inside a sandbox process): ordinary BPMN scripts work,
known escapes and resource bombs are refused by the language filter and size guards."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from engine.sandbox import (
    ScriptError,
    ScriptRejected,
    ScriptTimeout,
    ScriptTooLarge,
    check_expression,
    check_script,
)
from engine.sandbox.interpreter import Interpreter


def run(script: str, data: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    data = {} if data is None else data
    Interpreter(**kwargs).execute(textwrap.dedent(script), data)
    return data


# -- ordinary scripts ---------------------------------------------------------------------------


def test_assignments_loops_and_comprehensions_land_in_task_data() -> None:
    data = run(
        """
        total = 0
        for amount in amounts:
            total += amount
        doubled = [a * 2 for a in amounts if a > 1]
        lookup = {name: len(name) for name in ["ann", "bo"]}
        count = 0
        while count < 3:
            count = count + 1
        first, *rest = amounts
        pairs = [(i, a) for i, a in enumerate(amounts)]
        biggest = max(amounts)
        ordered = sorted(amounts, key=lambda a: -a)
        """,
        {"amounts": [1, 2, 3]},
    )
    assert data["total"] == 6
    assert data["doubled"] == [4, 6]
    assert data["lookup"] == {"ann": 3, "bo": 2}
    assert data["count"] == 3
    assert (data["first"], data["rest"]) == (1, [2, 3])
    assert data["pairs"] == [(0, 1), (1, 2), (2, 3)]
    assert (data["biggest"], data["ordered"]) == (3, [3, 2, 1])


def test_dict_and_list_mutation() -> None:
    data = run(
        """
        applicant["status"] = "approved"
        del applicant["draft"]
        notes.append("checked")
        notes[0] = "first"
        notes[1:1] = ["middle"]
        del notes[1]
        a, *b = [*notes, "end"]
        h, m = divmod(135, 60)
        applicant.update({"score": 7})
        notes.extend(["more"])
        notes.pop()
        """,
        {"applicant": {"draft": True}, "notes": ["x"]},
    )
    assert data["applicant"] == {"status": "approved", "score": 7}
    assert data["notes"] == ["first", "checked"]
    assert (data["a"], data["b"], data["h"], data["m"]) == ("first", ["checked", "end"], 2, 15)


def test_string_methods_and_formatting() -> None:
    data = run(
        """
        shout = name.upper()
        parts = "a,b,c".split(",")
        joined = "-".join(parts)
        padded = name.ljust(6, ".")
        label = f"{name!r}: {score:>5.1f}"
        old_style = "%s has %d points" % (name, 3)
        cleaned = "a-b".replace("-", "+")
        is_text = isinstance(name, str) and str(12) == "12"
        """,
        {"name": "ann", "score": 4.25},
    )
    assert data["shout"] == "ANN"
    assert data["parts"] == ["a", "b", "c"]
    assert data["joined"] == "a-b-c"
    assert data["padded"] == "ann..."
    assert data["label"] == "'ann':   4.2"
    assert data["old_style"] == "ann has 3 points"
    assert data["cleaned"] == "a+b"
    assert data["is_text"] is True


def test_datetime_arithmetic() -> None:
    start = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    data = run(
        """
        due = start + timedelta(days=10, hours=2)
        overdue = due < datetime(2027, 2, 1, tzinfo=timezone.utc)
        day = due.date().isoformat()
        weekday = due.strftime("%A")
        moved = due.replace(year=2028).year
        """,
        {"start": start},
    )
    assert data["due"] == start + timedelta(days=10, hours=2)
    assert data["overdue"] is True
    assert (data["day"], data["weekday"], data["moved"]) == ("2027-01-14", "Thursday", 2028)


def test_timer_style_expressions() -> None:
    env = Interpreter()
    assert env.evaluate("timedelta(minutes=5)", {}) == timedelta(minutes=5)
    assert env.evaluate("'PT' + str(hours) + 'H'", {"hours": 2}) == "PT2H"
    moment = env.evaluate("datetime(2027, 1, 4, tzinfo=timezone.utc).isoformat()", {})
    assert moment == "2027-01-04T00:00:00+00:00"


def test_conditions_evaluate_against_data_without_changing_it() -> None:
    env = Interpreter()
    data = {"amount": 250, "status": "open"}
    assert env.evaluate("amount > 100 and status == 'open'", data) is True
    assert env.evaluate("  amount < 100\n", data) is False
    assert data == {"amount": 250, "status": "open"}


def test_injected_globals_and_callables_are_removed_afterwards() -> None:
    env = Interpreter({"double": lambda x: x * 2, "RATE": 3})
    data: dict[str, Any] = {"x": 4}
    env.execute("y = double(x) * RATE\ndef helper():\n    return 1\nz = helper()", data, {"k": 1})
    assert data == {"x": 4, "y": 24, "z": 1}


def test_data_overwriting_a_global_fails_fast() -> None:
    env = Interpreter({"double": lambda x: x * 2})
    with pytest.raises(ValueError, match="double"):
        env.execute("y = 1", {"double": 5})


def test_task_data_may_shadow_builtin_names() -> None:
    data = run("label = type + ':' + date", {"type": "adult", "date": "2027-01-04"})
    assert data["label"] == "adult:2027-01-04"


def test_modules_are_out_of_reach_even_through_trusted_globals() -> None:
    env = Interpreter({"helpers": SimpleNamespace(os=os, double=lambda x: x * 2)})
    data: dict[str, Any] = {}
    env.execute("y = helpers.double(2)", data)
    assert data == {"y": 4}
    with pytest.raises(ScriptRejected, match="module"):
        env.execute("helpers.os.system('true')", {})


def test_oversized_exception_is_not_passed_on() -> None:
    with pytest.raises(ScriptTooLarge):
        run("s = ' ' * 10**6\nraise ValueError([s for i in range(100)])")


def test_print_is_harmless() -> None:
    assert run("print('hello', 1)\nx = 1") == {"x": 1}


def test_ordinary_errors_propagate_as_themselves() -> None:
    env = Interpreter()
    with pytest.raises(NameError):
        env.execute("y = missing + 1", {})
    with pytest.raises(ZeroDivisionError):
        env.evaluate("1 / 0", {})
    with pytest.raises(KeyError):
        env.execute("y = d['nope']", {"d": {}})
    with pytest.raises(NameError):  # the worker-stopping exceptions are simply not there
        env.execute("raise SystemExit(1)", {})


def test_compiles_are_cached_and_checked_up_front() -> None:
    assert check_expression("a + 1") is check_expression("a + 1")
    assert check_script("x = 1\n") is check_script("x = 1\n")
    with pytest.raises(ScriptRejected, match="SyntaxError"):
        check_script("x = (")
    with pytest.raises(ScriptRejected):
        check_expression("__import__('os')")


def test_style_warnings_in_uploaded_scripts_are_not_errors() -> None:
    # Under filterwarnings=error these would otherwise turn into SyntaxErrors.
    data = run("pattern = '\\d+'\nsame = count is 1", {"count": 1})
    assert data == {"count": 1, "pattern": "\\d+", "same": True}


def test_rejected_script_leaves_data_untouched() -> None:
    data = {"x": 1}
    with pytest.raises(ScriptRejected):
        Interpreter().execute("import os", data)
    assert data == {"x": 1}


def test_previous_tracer_is_restored() -> None:
    def tracer(frame: Any, event: str, arg: Any) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        Interpreter().execute("x = 1", {})
        assert sys.gettrace() is tracer
        with pytest.raises(ScriptTimeout):
            Interpreter(time_limit=0.2).execute("while True:\n    pass", {})
        assert sys.gettrace() is tracer
        with pytest.raises(ZeroDivisionError):
            Interpreter().execute("x = 1 / 0", {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


def test_time_limit_works_outside_the_main_thread() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            Interpreter(time_limit=0.2).execute("while True:\n    pass", {})
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ScriptTimeout)


def test_script_code_cannot_run_after_its_call() -> None:
    data: dict[str, Any] = {}
    script = """
    def forever():
        try:
            yield 1
        finally:
            while True:
                pass
    gen = forever()
    first = next(gen)
    """
    run(script, data)
    with pytest.raises(ScriptRejected):
        data["gen"].close()


# -- escape and exhaustion attempts ---------------------------------------------------------------

REJECTED = ScriptRejected
TIMEOUT = ScriptTimeout
TOO_LARGE = ScriptTooLarge

ATTEMPTS = {
    "import": ("import os", REJECTED),
    "from-import": ("from os import path", REJECTED),
    "__import__": ("__import__('os')", REJECTED),
    "subclasses": ("().__class__.__base__.__subclasses__()", REJECTED),
    "mro": ("[].__class__.__mro__", REJECTED),
    "mro-method": ("int.mro()", REJECTED),
    "gi_frame": ("g = (i for i in [1])\nx = g.gi_frame.f_globals", REJECTED),
    "lambda-globals": ("(lambda: 0).__globals__", REJECTED),
    "nested-function-code": (
        "def outer():\n    def inner():\n        pass\n    return inner.__code__",
        REJECTED,
    ),
    "nested-closure": (
        "def outer():\n    x = 1\n    def inner():\n        nonlocal x\n    return inner",
        REJECTED,
    ),
    "generator-frame": ("def gen():\n    yield 1\nframe = gen().gi_frame", REJECTED),
    "open": ("open('/etc/passwd').read()", REJECTED),
    "eval": ("eval('1')", REJECTED),
    "exec": ("exec('x = 1')", REJECTED),
    "compile": ("compile('1', 'f', 'eval')", REJECTED),
    "getattr": ("getattr(1, '__class__')", REJECTED),
    "setattr": ("setattr(len, 'x', 1)", REJECTED),
    "vars": ("vars()", REJECTED),
    "globals": ("globals()", REJECTED),
    "locals": ("locals()", REJECTED),
    "dir": ("dir()", REJECTED),
    "type-three-arg": ("type('X', (object,), {})", REJECTED),
    "class": ("class X:\n    pass", REJECTED),
    "format-escape": ("'{0.__class__}'.format(1)", REJECTED),
    "format-map-escape": ("'{.__class__}'.format_map({})", REJECTED),
    "format-via-type": ("str.format('{0.__class__}', 1)", REJECTED),
    "builtins": ("__builtins__['open']", REJECTED),
    "dunder-name": ("x = __name__", REJECTED),
    "breakpoint": ("breakpoint()", REJECTED),
    "input": ("input()", REJECTED),
    "help": ("help(len)", REJECTED),
    "exit": ("exit()", REJECTED),
    "quit": ("quit()", REJECTED),
    "write-builtin-attribute": ("len.attribute = 1", REJECTED),
    "write-datetime-attribute": ("datetime.max = 1", REJECTED),
    "write-via-alias": ("f = len\nf.x = 1", REJECTED),
    "three-arg-pow": ("pow(2, 10, 7)", REJECTED),
    "sum-of-lists": ("sum([[0] * 1000] * 1000, [])", REJECTED),
    "bytes": ("bytes(10**10)", REJECTED),
    "method-via-type": ("str.ljust('x', 10**10)", REJECTED),
    "except-star": ("try:\n    pass\nexcept* ValueError:\n    pass", REJECTED),
    "async": ("async def f():\n    pass", REJECTED),
    "runaway-loop": ("while True:\n    pass", TIMEOUT),
    "runaway-comprehension": ("x = [0 for a in range(10**7) for b in range(10**7)]", TIMEOUT),
    "runaway-recursion": ("def f(n):\n    return n and f(n - 1) + f(n - 1)\nf(60)", TIMEOUT),
    "caught-timeout": (
        "try:\n    while True:\n        pass\nexcept Exception:\n    while True:\n        pass",
        TIMEOUT,
    ),
    "timeout-in-finally": (
        "try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass",
        TIMEOUT,
    ),
    "bare-except-loop": (
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
        TIMEOUT,
    ),
    "string-repeat": ("'a' * 10**10", TOO_LARGE),
    "list-repeat": ("[0] * 10**9", TOO_LARGE),
    "int-power": ("2**10**8", TOO_LARGE),
    "tower-power": ("10**10**10", TOO_LARGE),
    "pow-builtin": ("pow(2, 10**10)", TOO_LARGE),
    "shift": ("1 << 10**10", TOO_LARGE),
    "inplace-doubling": ("x = [1]\nwhile True:\n    x += x", TOO_LARGE),
    "inplace-repeat": ("s = 'a'\ns *= 10**10", TOO_LARGE),
    "concat-doubling": ("s = 'ab'\nwhile True:\n    s = s + s", TOO_LARGE),
    "ljust": ("'x'.ljust(10**10)", TOO_LARGE),
    "center": ("'x'.center(10**10)", TOO_LARGE),
    "zfill": ("'1'.zfill(10**10)", TOO_LARGE),
    "expandtabs": ("'a\\tb'.expandtabs(10**10)", TOO_LARGE),
    "replace": ("('a' * 1000).replace('a', 'b' * 10**6)", TOO_LARGE),
    "join": ("('x' * 10**6).join(['a'] * 10**5)", TOO_LARGE),
    "translate": ("('a' * 10**4).translate({97: 'b' * 10**4})", TOO_LARGE),
    "to-bytes": ("(1).to_bytes(10**10, 'big')", TOO_LARGE),
    "extend-doubling": ("x = [0] * 10**6\nwhile True:\n    x.extend(x)", TOO_LARGE),
    "percent-width": ("'%10000000000d' % 1", TOO_LARGE),
    "percent-star": ("'%*d' % (10**10, 1)", TOO_LARGE),
    "fstring-width": ("f'{1:10000000000}'", TOO_LARGE),
    "fstring-nested-width": ("w = 10**10\nx = f'{1:>{w}}'", TOO_LARGE),
    "range": ("list(range(10**10))", TOO_LARGE),
    "starred-doubling": ("x = [0] * 10**6\nwhile True:\n    x = [*x, *x]", TOO_LARGE),
    "slice-doubling": ("x = [0] * 10**6\nwhile True:\n    x[len(x):] = x", TOO_LARGE),
    "huge-division": ("x = int('f' * 10**6, 16)\ny = x // 3", TOO_LARGE),
    "huge-divmod": ("x = int('f' * 10**6, 16)\ny = divmod(x, 7)", TOO_LARGE),
    "zip-amplify": ("l = [0] * 10**6\nx = list(zip(*([l] * 1000)))", TOO_LARGE),
    "aliased-str": ("x = str([' ' * 10**6] * 1000)", TOO_LARGE),
    "aliased-repr": ("x = repr([' ' * 10**6] * 1000)", TOO_LARGE),
    "aliased-fstring": ("s = ' ' * 10**6\nx = f'{[s for i in range(1000)]}'", TOO_LARGE),
    "aliased-map-str": ("x = list(map(str, [[' ' * 10**6] * 1000]))", TOO_LARGE),
    "aliased-task-data": ("s = ' ' * 10**6\nx = [s for i in range(1000)]", TOO_LARGE),
}


@pytest.mark.parametrize("source, expected", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_escape_attempts_are_refused(source: str, expected: type[ScriptError]) -> None:
    tracer = sys.gettrace()
    time_limit = 0.2 if expected is TIMEOUT else 2.0  # only the runaway cases wait it out
    with pytest.raises(expected):
        Interpreter(time_limit=time_limit).execute(source, {})
    assert issubclass(expected, ScriptError)
    assert sys.gettrace() is tracer


@pytest.mark.parametrize(
    "expression",
    ["__import__('os')", "().__class__", "'a' * 10**10", "open('x')", "'{0.__class__}'.format(1)"],
)
def test_expressions_are_sandboxed_too(expression: str) -> None:
    with pytest.raises(ScriptError):
        Interpreter(time_limit=0.2).evaluate(expression, {})


def test_size_limit_is_configurable() -> None:
    env = Interpreter(max_size=100)
    assert env.evaluate("'a' * 100", {}) == "a" * 100
    with pytest.raises(ScriptTooLarge):
        env.evaluate("'a' * 101", {})
