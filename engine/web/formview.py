"""Turn a task's JSON Schema (plus optional UI schema) into fields a template can render.

Forms are authored once as JSON Schema for the server-side check; pages derive their inputs
from the same schema so the two cannot drift. Supported: strings (text, long text, date,
date and time, email, choices), numbers, integers, booleans (yes/no), arrays of choices
(checkboxes), arrays of objects (repeatable rows, "add another" without JavaScript), nested
objects (fieldsets) and local `$ref`s; anything else gets a JSON text box rather than being
dropped. Labels follow the forms' bilingual convention: `title`/`x-title-fr`, choice labels in
`x-enum-labels`/`x-enum-labels-fr`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from engine.web.i18n import current_language, localized, office_zone

FIELD_PREFIX = "f."
ROWS_PREFIX = "rows."
ADD_ROW = "add_row"
LONG_TEXT = 200  # maxLength above which a string gets a text area
MAX_ROWS = 50


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One input, or a fieldset ("group", "row") or a repeatable list of rows ("rows")."""

    path: str
    label: str
    kind: str  # text textarea number integer date datetime email select radio checkboxes
    #            boolean json group rows row
    required: bool = False
    help: str = ""
    options: tuple[Option, ...] = ()
    value: Any = ""
    error: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Field, ...] = ()
    item_label: str = ""
    hint: str = ""  # the expected form ("A1A 1A1"), shown before and with an error
    condition: str = ""  # "Required when …" for fields a choice makes required
    accepts_empty: bool = True  # arrays: whether an empty list is an answer (minItems 0)

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.path

    @property
    def rows_name(self) -> str:
        return ROWS_PREFIX + self.path

    @property
    def dom_id(self) -> str:
        return "field-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.path)

    def selected(self, option: Option) -> bool:
        if isinstance(self.value, list | tuple):
            return option.value in [str(v) for v in self.value]
        return str(self.value) == option.value


@dataclass(frozen=True)
class _Context:
    root: Mapping[str, Any]
    errors: Mapping[str, str]
    rows: Mapping[str, int]


def build_fields(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any] | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    rows: Mapping[str, int] | None = None,
) -> list[Field]:
    """Fields in UI-schema order (`ui:order`), else schema order; values are shown as given.

    `rows` says how many rows each repeatable list shows (by path); by default as many as it
    has values, at least one.
    """
    return _fields(schema, ui or {}, values, "", _Context(schema, errors, rows or {}))


def form_title(schema: Mapping[str, Any], fallback: str) -> str:
    return localized(schema, "title", fallback)


def flatten(fields: Sequence[Field]) -> list[Field]:
    """Every input field, nested ones included, in page order (for the error summary)."""
    out: list[Field] = []
    for f in fields:
        out.extend(flatten(f.children) if f.children or f.kind == "rows" else [f])
    return out


def every_field(fields: Sequence[Field]) -> list[Field]:
    """Every field, groups and lists included, in page order (the error summary links each
    error to its own field, be it an input, a checkbox group or a list of rows)."""
    out: list[Field] = []
    for f in fields:
        out.append(f)
        out.extend(every_field(f.children))
    return out


def resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A schema node with a local `$ref` (`#/$defs/x`) replaced by its target; keywords beside
    the `$ref` (a title) win."""
    if not isinstance(node, Mapping):
        return {}
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if target else {}
    merged = dict(resolve(target, root))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _fields(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any],
    values: Mapping[str, Any],
    prefix: str,
    ctx: _Context,
) -> list[Field]:
    schema = resolve(schema, ctx.root)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    conditions = _conditions(schema, properties, ctx.root)
    out = []
    for name in _ordered(list(properties), ui.get("ui:order")):
        node = resolve(properties[name], ctx.root)
        found_ui = ui.get(name)
        node_ui: Mapping[str, Any] = found_ui if isinstance(found_ui, Mapping) else {}
        made = _field(name, prefix + name, node, node_ui, name in required, values, ctx)
        if name in conditions and name not in required:
            made = replace(made, condition=conditions[name])
        out.append(made)
    return out


def _conditions(
    schema: Mapping[str, Any], properties: Mapping[str, Any], root: Mapping[str, Any]
) -> dict[str, str]:
    """Fields an `if`/`then` makes required, worded "Required when “X” is “Y”." — only the
    common shape `if: {properties: {X: {const|enum}}}, then: {required: [...]}`."""
    rules = [schema, *[r for r in schema.get("allOf") or [] if isinstance(r, Mapping)]]
    found: dict[str, list[str]] = {}
    for rule in rules:
        when, then = rule.get("if"), rule.get("then")
        if not isinstance(when, Mapping) or not isinstance(then, Mapping):
            continue
        tests = when.get("properties")
        if not isinstance(tests, Mapping) or not tests:
            continue
        parts = [_condition_text(name, test, properties, root) for name, test in tests.items()]
        if not all(parts):
            continue
        text = " ".join(str(p) for p in parts)
        for name in then.get("required") or []:
            found.setdefault(str(name), []).append(text)
    return {
        name: _("Required when %(condition)s.", condition=_(" or ").join(texts))
        for name, texts in found.items()
    }


def _condition_text(
    name: str, test: Any, properties: Mapping[str, Any], root: Mapping[str, Any]
) -> str | None:
    if not isinstance(test, Mapping):
        return None
    node = resolve(properties.get(name), root)
    label = localized(node, "title", _humanize(name))
    wanted = [test["const"]] if "const" in test else test.get("enum")
    if not isinstance(wanted, list) or not wanted:
        return None
    options = {o.value: o.label for o in _options(node)}
    shown = []
    for value in wanted:
        if value is True or value is False:
            shown.append(_("Yes") if value else _("No"))
        else:
            shown.append(options.get(str(value), str(value)))
    return _("“%(field)s” is “%(value)s”", field=label, value=_(" or ").join(shown))


_DEFAULT_HINTS = {"postal-code-ca": "A1A 1A1", "phone": "705-555-0123", "email": "name@example.ca"}


def hint_of(node: Mapping[str, Any]) -> str:
    """`x-hint` / `x-hint-fr`, else an example for the format; "" when none applies."""
    for key in (f"x-hint-{current_language()}", "x-hint"):
        text = node.get(key)
        if isinstance(text, str) and text:
            return text
    return _DEFAULT_HINTS.get(str(node.get("format")), "")


def _field(
    name: str,
    path: str,
    node: Mapping[str, Any],
    ui: Mapping[str, Any],
    required: bool,
    values: Mapping[str, Any],
    ctx: _Context,
) -> Field:
    label = localized(node, "title", _humanize(name))
    help_text = localized(node, "description") or localized(ui, "ui:help")
    value = values.get(name, "")
    kind = _kind(node, ui, ctx.root)
    base = Field(
        path,
        label,
        kind,
        required,
        help_text,
        error=ctx.errors.get(path),
        hint=hint_of(node),
        accepts_empty=int(node.get("minItems") or 0) == 0,
    )
    if kind == "group":
        nested = value if isinstance(value, Mapping) else {}
        return replace(base, children=tuple(_fields(node, ui, nested, path + ".", ctx)))
    if kind == "rows":
        return _rows(base, node, ui, value, ctx)
    options = _options(resolve(node.get("items"), ctx.root) if kind == "checkboxes" else node)
    return replace(
        base,
        options=(Option("true", _("Yes")), Option("false", _("No")))
        if kind == "boolean"
        else options,
        value=_shown(kind, value),
        attrs=_attrs(node, kind),
    )


def _rows(
    base: Field, node: Mapping[str, Any], ui: Mapping[str, Any], value: Any, ctx: _Context
) -> Field:
    items = resolve(node.get("items"), ctx.root)
    found_ui = ui.get("items")
    item_ui: Mapping[str, Any] = found_ui if isinstance(found_ui, Mapping) else {}
    present = list(value) if isinstance(value, list) else []
    count = ctx.rows.get(base.path, max(len(present), int(node.get("minItems") or 0), 1))
    count = max(1, min(count, int(node.get("maxItems") or MAX_ROWS), MAX_ROWS))
    item_label = localized(items, "title", base.label)
    children = []
    for index in range(count):
        row_value = present[index] if index < len(present) else {}
        row_path = f"{base.path}.{index}"
        row_fields = _fields(
            items, item_ui, row_value if isinstance(row_value, Mapping) else {}, row_path + ".", ctx
        )
        children.append(
            Field(
                row_path,
                f"{item_label} {index + 1}",
                "row",
                error=ctx.errors.get(row_path),
                children=tuple(row_fields),
            )
        )
    return replace(base, children=tuple(children), item_label=item_label)


def _kind(node: Mapping[str, Any], ui: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    kind = node.get("type")
    widget = ui.get("ui:widget")
    if kind == "object":
        return "group"
    if kind == "array":
        items = resolve(node.get("items"), root)
        if _options(items):
            return "checkboxes"
        return "rows" if items.get("type") == "object" else "json"
    if kind == "boolean":
        return "boolean"
    if kind in ("number", "integer"):
        return str(kind)
    if kind == "string" or (kind is None and ("enum" in node or "oneOf" in node)):
        if _options(node):
            return "radio" if widget == "radio" else "select"
        formats = {"date": "date", "date-time": "datetime", "email": "email"}
        if node.get("format") in formats:
            return formats[str(node["format"])]
        long_text = int(node.get("maxLength") or 0) > LONG_TEXT
        return "textarea" if widget == "textarea" or long_text else "text"
    return "json"


def _options(node: Mapping[str, Any]) -> tuple[Option, ...]:
    """Choices from `enum` (labels from `x-enum-labels[-fr]`) or `oneOf` of `const`s."""
    if isinstance(node.get("enum"), list):
        values = [str(v) for v in node["enum"]]
        labels = _enum_labels(node, values)
        return tuple(Option(v, labels.get(v) or _humanize(v)) for v in values)
    choices = node.get("oneOf") or node.get("anyOf")
    if isinstance(choices, list) and choices and all("const" in c for c in choices):
        return tuple(
            Option(str(c["const"]), localized(c, "title", _humanize(str(c["const"]))))
            for c in choices
        )
    return ()


def _enum_labels(node: Mapping[str, Any], values: list[str]) -> dict[str, str]:
    """A mapping (`x-enum-labels`) or a parallel list (`x-enum-titles`), French first in fr."""
    language = current_language()
    for key in (f"x-enum-labels-{language}", "x-enum-labels"):
        labels = node.get(key)
        if isinstance(labels, Mapping):
            return {str(k): str(v) for k, v in labels.items()}
    for key in (f"x-enum-titles-{language}", "x-enum-titles"):
        titles = node.get(key)
        if isinstance(titles, list) and len(titles) == len(values):
            return {v: str(t) for v, t in zip(values, titles, strict=True)}
    return {}


def _shown(kind: str, value: Any) -> Any:
    """The value as its input shows it."""
    if value is None:
        return ""
    if kind == "boolean":
        return "" if value == "" else str(value).lower()
    if kind == "datetime" and isinstance(value, str) and value:
        return _local_input(value)
    if kind == "json" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return value


def _local_input(text: str) -> str:
    """ISO date-time with offset → the office's wall time as `datetime-local` wants it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(office_zone())
    return moment.strftime("%Y-%m-%dT%H:%M")


def _attrs(node: Mapping[str, Any], kind: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if kind in ("text", "textarea", "email") and node.get("maxLength"):
        attrs["maxlength"] = node["maxLength"]
    if node.get("format") == "phone":
        attrs.update(type="tel", autocomplete="tel")
    if node.get("format") == "postal-code-ca":
        attrs.update(autocomplete="postal-code", maxlength=7)
    if kind in ("number", "integer"):
        attrs["inputmode"] = "numeric" if kind == "integer" else "decimal"
    return attrs


def _ordered(names: list[str], order: Any) -> list[str]:
    if not isinstance(order, Sequence) or isinstance(order, str):
        return names
    order = list(order)
    if "*" in order:
        star = order.index("*")
        before = [n for n in order[:star] if n in names]
        after = [n for n in order[star + 1 :] if n in names]
        return before + [n for n in names if n not in before and n not in after] + after
    wanted = [n for n in order if n in names]
    return wanted + [n for n in names if n not in wanted]


def _humanize(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
