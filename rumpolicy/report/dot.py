"""Graphviz DOT: every app monitor's chain as a cluster of one ``digraph``, for people who lay graphs out
themselves (``rumpolicy check . --format dot | dot -Tsvg > chains.svg``).

The graph is ``rumpolicy.report.graph``'s: broken links red and labelled with their rule ids, links not
checked dashed. Node ids are generated (``m0_app_monitor``); every value from the input is a quoted string
with ``\\`` and ``"`` escaped and controls shown as ``\\xNN``, so it can end no string and add no statement.
"""

from __future__ import annotations

from pathlib import Path

from rumpolicy.escape import visible
from rumpolicy.report import Report
from rumpolicy.report.graph import BROKEN, NOT_CHECKED, TITLES, graphs


def escaped(text: str) -> str:
    return visible(text).replace("\\", "\\\\").replace('"', '\\"')


def quoted(*lines: str) -> str:
    return '"' + "\\n".join(escaped(line) for line in lines) + '"'


def render(report: Report, *, root: Path) -> str:
    lines = ["digraph rumpolicy {", "  rankdir=LR;", "  node [shape=box];"]
    for index, drawn in enumerate(graphs(report.chains)):
        prefix = f"m{index}_"
        title = quoted("App monitor " + (drawn.name or drawn.monitor))
        lines += [f"  subgraph cluster_{index} {{", f"    label={title};"]
        for n in drawn.nodes:
            color = ", color=red" if n.state == BROKEN else ""
            lines.append(f"    {prefix}{n.id} [label={quoted(TITLES[n.kind], n.label)}{color}];")
        for e in drawn.edges:
            label = e.relation + (": " + ", ".join(e.rule_ids) if e.state == BROKEN and e.rule_ids else "")
            style = (", color=red, fontcolor=red" if e.state == BROKEN
                     else ", style=dashed" if e.state == NOT_CHECKED else "")
            lines.append(f"    {prefix}{e.source} -> {prefix}{e.target} [label={quoted(label)}{style}];")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
