"""Render a benchmark report (latest.json's content) as Markdown tables."""

from __future__ import annotations

from typing import Any

VERDICT = {True: "met", False: "**missed**", None: "n/a"}


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines = [
        f"Run {env['when']} ({'QUICK' if env['quick'] else 'full'}, {report['seconds']} s) on "
        f"{env['machine']}; {env['os']}; {versions}.",
        "",
    ]
    for scenario in report["scenarios"]:
        lines += _scenario(scenario)
    return "\n".join(lines) + "\n"


def _load(s: dict[str, Any]) -> str:
    load = s.get("load_average_1m", {})
    return f"{load.get('start', 0):.1f} at start, {load.get('end', 0):.1f} at end"


def _scenario(s: dict[str, Any]) -> list[str]:
    if "error" in s:
        return [f"### {s['name']}", "", f"Failed: `{s['error']}`", ""]
    lines = [
        f"### {s['title']}",
        "",
        f"Database: {s['database']}. Sample: {s['sample']}. Took {s['seconds']} s; "
        f"1-minute load average {_load(s)} (2 cores: above 2 means other work competed).",
        "",
        "| " + " | ".join(s["header"]) + " |",
        "|" + "---|" * len(s["header"]),
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in s["rows"]]
    lines.append("")
    for target in s["targets"]:
        lines.append(f"- Target {target['what']}: {target['measured']} — {VERDICT[target['met']]}")
    for note in s["notes"]:
        lines.append(f"- {note}")
    lines.append("")
    return lines
