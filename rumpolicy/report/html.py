"""HTML: one self-contained page for people and audits (``rumpolicy check . --format html -o report.html``).

Every app monitor's chain (``rumpolicy.report.graph``) is drawn here as inline SVG, laid out by this module:
the nodes in one row, left to right in the graph's order; links between neighbours as straight arrows, the
others as arcs (forward ones above the row, backward ones below); broken links red with their rule ids,
links not checked dashed. Below, the findings in a table that a small inline script filters by severity, rule
and, for audits, account and region. Without the script the table shows every finding and the filters stay
hidden.

Nothing is loaded from anywhere: no external script, style, font or image, and a Content-Security-Policy
that allows only the page's own style and the one script by its hash. Everything from the input goes
through ``html.escape`` after ``rumpolicy.escape.visible``, so a value holding ``<script>`` shows as text.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path

from rumpolicy.escape import visible
from rumpolicy.paths import is_file_source, project_path
from rumpolicy.report import Report
from rumpolicy.report.graph import BROKEN, NOT_CHECKED, TITLES, MonitorGraph, _plain, graph
from rumpolicy.report.markdown import summary_line

NODE_W, NODE_H, GAP, MARGIN = 150, 60, 100, 20
LINE = 13                          # the height of one line of an edge label
LABEL_CHARS = 22                   # longer node labels are cut with "…" (the full text is the node's tooltip)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1f23}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:1.5em}h3{font-size:1.1em}
code{font:12px ui-monospace,monospace;word-break:break-all}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#f6f8fa}
svg.chain{max-width:100%;height:auto;display:block;margin:.5em 0}
svg text{font:11px ui-monospace,monospace;fill:#1b1f23}svg .title{font:bold 11px system-ui,sans-serif}
svg .node rect{fill:#fff;stroke:#57606a;stroke-width:1.5}svg .node.broken rect{stroke:#cf222e;stroke-width:2.5}
svg .node.notchecked rect{stroke-dasharray:5 3}
svg .edge path{fill:none;stroke:#57606a;stroke-width:1.5}svg .edge.broken path{stroke:#cf222e;stroke-width:2.5}
svg .edge.notchecked path{stroke-dasharray:5 3}svg .edge text{font-size:10px}svg .edge.broken text{fill:#cf222e}
.error{color:#cf222e;font-weight:bold}.warning{color:#9a6700;font-weight:bold}
#filters label{margin-right:1em}#shown{margin-left:1em;color:#57606a}
"""

# Filters the findings table by the values of its rows' data-* attributes. It only reads the page.
SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var shown = document.getElementById("shown");
  if (!form) { return; }
  function apply() {
    var count = 0;
    rows.forEach(function (row) {
      var keep = Array.prototype.every.call(form.querySelectorAll("select"), function (select) {
        return select.value === "" || row.getAttribute("data-" + select.name) === select.value;
      });
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }
  form.addEventListener("change", apply);
  form.hidden = false;
  apply();
  document.documentElement.setAttribute("data-filters", "ready");
})();
"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
POLICY = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_HASH}'; "
          "img-src 'none'; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")


def esc(text: object) -> str:
    return html.escape(visible(str(text)), quote=True)


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _scope(source: str) -> str:
    """The account and region of a finding of an audit (``aws://ACCOUNT/REGION/...``), else its file."""
    if source.startswith("aws://"):
        return "/".join(source[len("aws://"):].split("/")[:2])
    return source


def _heading(group: str) -> str:
    if is_file_source(group) or not group.startswith("aws://"):
        return group
    account, _, region = group[len("aws://"):].partition("/")
    return f"Account {account} · {region}" if region else f"Account {account}"


def svg(drawn: MonitorGraph, index: int = 0) -> str:
    """The graph as an inline ``<svg>``: one ``<g class="node">`` per node, one ``<g class="edge">`` per edge."""
    position = {n.id: i for i, n in enumerate(drawn.nodes)}
    spans = [abs(position[e.target] - position[e.source]) for e in drawn.edges]
    above = max([s for e, s in zip(drawn.edges, spans) if s > 1 and position[e.target] > position[e.source]],
                default=0)
    below = max([s for e, s in zip(drawn.edges, spans) if s > 1 and position[e.target] < position[e.source]],
                default=0)
    # Room over the row for the forward arcs and their labels (up to 4 lines), under it for the backward ones.
    top = MARGIN + 4 * LINE + (_rise(above) if above else 0)
    height = top + NODE_H + (_rise(below) + 4 * LINE if below else 0) + MARGIN
    width = 2 * MARGIN + len(drawn.nodes) * NODE_W + max(len(drawn.nodes) - 1, 0) * GAP
    prefix = f"m{index}"
    out = [f'<svg class="chain" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{esc("Chain of " + (drawn.name or drawn.monitor))}">',
           "<defs>"]
    for name, color in (("ok", "#57606a"), ("broken", "#cf222e")):
        out.append(f'<marker id="{prefix}-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
    out.append("</defs>")

    def x_of(node_id: str) -> int:
        return MARGIN + position[node_id] * (NODE_W + GAP)

    for e, span in zip(drawn.edges, spans):
        state = "broken" if e.state == BROKEN else "notchecked" if e.state == NOT_CHECKED else "ok"
        words = [e.relation] + (list(e.rule_ids) if e.state == BROKEN else [])
        i, j = position[e.source], position[e.target]
        mid = top + NODE_H // 2
        if span == 1:
            x1, x2 = (x_of(e.source) + NODE_W, x_of(e.target)) if j > i else (x_of(e.source), x_of(e.target) + NODE_W)
            d = f"M{x1},{mid} L{x2},{mid}"
            label_x, label_y, step = (x1 + x2) // 2, mid - 6, -LINE
        else:
            x1, x2 = x_of(e.source) + NODE_W // 2, x_of(e.target) + NODE_W // 2
            forward = j > i
            y = top if forward else top + NODE_H
            rise = _rise(span) * (-1 if forward else 1)
            d = f"M{x1},{y} Q{(x1 + x2) // 2},{y + 2 * rise} {x2},{y}"
            label_x, label_y = (x1 + x2) // 2, y + rise + (-6 if forward else LINE + 4)
            step = -LINE if forward else LINE
        lines = words[::-1] if step < 0 else words
        texts = "".join(f'<text x="{label_x}" y="{label_y + k * step}" text-anchor="middle">{esc(w)}</text>'
                        for k, w in enumerate(lines))
        tip = "; ".join(f"{f.rule_id}: {f.message}" for f in e.findings) or e.state
        marker = "broken" if state == "broken" else "ok"
        out.append(f'<g class="edge {state}" data-source="{e.source}" data-target="{e.target}" '
                   f'data-state="{esc(e.state)}"><title>{esc(e.relation + " (" + e.state + "): " + tip)}</title>'
                   f'<path d="{d}" marker-end="url(#{prefix}-{marker})"/>{texts}</g>')
    for n in drawn.nodes:
        touching = [e for e in drawn.edges if n.id in (e.source, e.target)]
        state = ("broken" if n.state == BROKEN else "notchecked"
                 if n.state == NOT_CHECKED or touching and all(e.state == NOT_CHECKED for e in touching) else "ok")
        x = x_of(n.id)
        out.append(f'<g class="node {state}" data-node="{n.id}"><title>{esc(TITLES[n.kind] + ": " + n.label)}</title>'
                   f'<rect x="{x}" y="{top}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
                   f'<text class="title" x="{x + NODE_W // 2}" y="{top + 24}" text-anchor="middle">'
                   f'{esc(TITLES[n.kind])}</text>'
                   f'<text x="{x + NODE_W // 2}" y="{top + 42}" text-anchor="middle">{esc(_cut(visible(n.label)))}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _rise(span: int) -> int:
    """How far the apex of an arc over ``span`` nodes is from the row."""
    return 30 + 12 * span


def _where(finding, root: Path) -> str:
    location = finding.location
    source = project_path(location.source, root)
    if location.line is not None:
        return f"{source}:{location.line}:{location.column or 1}"
    return f"{source}#{location.pointer}" if location.pointer else source


def render(report: Report, *, root: Path) -> str:
    from rumpolicy.report.sarif import help_url

    chain_list = list(report.chains or ())
    audit = report.coverage is not None
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>rumpolicy report</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           "<h1>rumpolicy report</h1>", f"<p><strong>{esc(summary_line(report, len(chain_list)))}</strong></p>"]
    groups: dict[str, list] = {}
    for chain in chain_list:
        groups.setdefault(chain.group, []).append(chain)
    index = 0
    for group, members in groups.items():
        out.append(f"<h2>{esc(_heading(project_path(group, root)))}</h2>")
        for chain in members:
            out.append(f"<section class=\"monitor\"><h3>App monitor <code>{esc(chain.name)}</code></h3>"
                       f"<p><code>{esc(chain.monitor)}</code></p>")
            out.append(svg(graph(chain), index))
            index += 1
            out.append("<table><thead><tr><th>Link</th><th>Resource</th><th>Result</th><th>Findings</th></tr>"
                       "</thead><tbody>")
            for link in chain.links:
                out.append(f"<tr><td>{esc(link.name)}</td><td><code>{esc(_plain(link.resource))}</code></td>"
                           f"<td>{esc(link.result)}</td><td>{esc(', '.join(link.rule_ids))}</td></tr>")
            out.append("</tbody></table>")
            if chain.notes:
                out.append("<p>Not checked:</p><ul>" + "".join(f"<li>{esc(n)}</li>" for n in chain.notes) + "</ul>")
            out.append("</section>")
    active = report.active
    out.append("<h2>Findings</h2>")
    if active:
        filters = [("severity", "Severity", [s for s in ("error", "warning", "info")
                                             if any(f.severity.value == s for f in active)]),
                   ("rule", "Rule", sorted({f.rule_id for f in active}))]
        if audit:
            filters.append(("scope", "Account / region", sorted({_scope(f.location.source) for f in active})))
        out.append('<form id="filters" hidden>')
        for name, title, values in filters:
            options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
            out.append(f'<label>{title} <select name="{name}"><option value="">all</option>{options}</select></label>')
        out.append('<span id="shown"></span></form>')
        scope_head = "<th>Account / region</th>" if audit else ""
        out.append(f'<table id="findings"><thead><tr><th>Severity</th><th>Rule</th>{scope_head}<th>Subject</th>'
                   "<th>Location</th><th>Message</th></tr></thead><tbody>")
        for f in active:
            scope = _scope(f.location.source)
            scope_cell = f"<td><code>{esc(scope)}</code></td>" if audit else ""
            out.append(f'<tr data-severity="{esc(f.severity.value)}" data-rule="{esc(f.rule_id)}" '
                       f'data-scope="{esc(scope)}"><td class="{esc(f.severity.value)}">{esc(f.severity.value)}</td>'
                       f'<td><a href="{esc(help_url(f.rule_id))}">{esc(f.rule_id)}</a></td>{scope_cell}'
                       f"<td><code>{esc(f.subject)}</code></td><td><code>{esc(_where(f, root))}</code></td>"
                       f"<td>{esc(f.message)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>None.</p>")
    if audit:
        out.append("<h2>Coverage</h2><table><thead><tr><th>Scope</th><th>Status</th><th>What</th><th>Reason</th>"
                   "</tr></thead><tbody>")
        for entry in report.coverage:
            regional = "/" in entry.scope.partition("://")[2]
            what = f"{entry.monitors} app monitor{'s' if entry.monitors != 1 else ''}" if regional else "IAM, SCPs"
            out.append(f"<tr><td><code>{esc(entry.scope)}</code></td><td>{esc(entry.status.replace('_', ' '))}</td>"
                       f"<td>{esc(what)}</td><td>{esc(entry.reason or '')}</td></tr>")
        out.append("</tbody></table>")
    out += [f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
