"""The chain as a graph (``rumpolicy.report.graph``), drawn in Mermaid (``--format markdown``) and DOT
(``--format dot``), and the job summary ``--format github`` writes to ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from rumpolicy.api import Options, check
from rumpolicy.report.graph import (BROKEN, NODE_KINDS, NOT_CHECKED, OK, graph, graphs, mermaid)
from rumpolicy.report.markdown import PASS, ChainLink, MonitorChain
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EVIL = 'x"] --> pwned["y\n<script>alert(1)</script>```|;#%% end'
LABEL = r'"(?:[A-Za-z0-9 _.:/@,=+*$-]|#\d+;|<br/>)*"'
STATEMENT = re.compile(rf"flowchart LR|  [a-z_]+\[{LABEL}\]|  [a-z_]+ (?:-->|-\.->)\|{LABEL}\| [a-z_]+"
                       r"|  linkStyle \d+ [a-z0-9:,-]+|  classDef [a-z]+ [a-z0-9:, -]+|  class [a-z_]+ [a-z]+")


def _graph(example: str):
    report = check([str(EXAMPLES / example)], Options(chains=True))
    (only,) = graphs(report.chains)
    return only


def _edges(drawn) -> dict[tuple[str, str, str], object]:
    return {(e.source, e.relation, e.target): e for e in drawn.edges}


def test_broken_example_breaks_the_links_its_findings_are_about():
    drawn = _graph("broken")
    assert [n.kind for n in drawn.nodes] == ["web_client", "app_monitor", "identity_pool", "attachment",
                                            "guest_role", "trust_policy", "permissions"]
    assert set(n.kind for n in drawn.nodes) <= set(NODE_KINDS)
    edges = _edges(drawn)
    states = {key: (e.state, e.rule_ids) for key, e in edges.items()}
    assert states == {
        ("web_client", "uses", "app_monitor"): (NOT_CHECKED, ()),        # no web client in the input
        ("app_monitor", "uses", "identity_pool"): (BROKEN, ("RUM-POOL-002",)),
        ("identity_pool", "uses", "attachment"): (OK, ()),
        ("attachment", "attaches", "guest_role"): (OK, ()),
        ("guest_role", "trusts", "trust_policy"): (BROKEN, ("RUM-TRUST-002",)),
        ("guest_role", "allows", "permissions"): (BROKEN, ("RUM-PERM-005", "RUM-PERM-004")),
    }
    trust = edges[("guest_role", "trusts", "trust_policy")]
    assert [(f.subject, f.location.line) for f in trust.findings] == [("ShopGuestRole", 25)]
    assert drawn.node("identity_pool").state == BROKEN
    assert [f.rule_id for f in drawn.findings] == ["RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-005", "RUM-PERM-004"]


def test_correct_example_has_every_link_ok_but_the_missing_web_client():
    drawn = _graph("correct")
    states = {key: e.state for key, e in _edges(drawn).items()}
    assert states.pop(("web_client", "uses", "app_monitor")) == NOT_CHECKED
    assert set(states.values()) == {OK} and len(states) == 5
    assert drawn.findings == ()


def test_web_client_link_carries_the_cross_checks_with_its_monitor():
    report = check([str(ROOT / "fixtures" / "inputs" / "webclient" / "cfn-region")], Options(chains=True))
    (drawn,) = graphs(report.chains)
    uses = _edges(drawn)[("web_client", "uses", "app_monitor")]
    assert (uses.state, uses.rule_ids) == (BROKEN, ("RUM-XREF-001",))
    assert [f.location.line for f in uses.findings] == [11, 16]
    assert drawn.node("web_client").label.startswith("web client 5f1e8a2c-")
    assert drawn.node("app_monitor").state == OK and drawn.node("app_monitor").findings == ()


def test_mermaid_block_is_a_flowchart_with_red_broken_links_and_dashed_unchecked_ones():
    drawn = _graph("broken")
    lines = mermaid(drawn)
    assert lines[:2] == ["```mermaid", "flowchart LR"] and lines[-1] == "```"
    assert all(STATEMENT.fullmatch(line) for line in lines[1:-1]), lines
    edge_lines = [line for line in lines if "->|" in line]
    assert len(edge_lines) == len(drawn.edges)
    styled = {int(n) for n in re.findall(r"linkStyle (\d+) stroke:red", "\n".join(lines))}
    assert styled == {i for i, e in enumerate(drawn.edges) if e.state == BROKEN}
    assert '  guest_role -->|"trusts: RUM-TRUST-002"| trust_policy' in lines
    assert '  web_client -.->|"uses"| app_monitor' in lines


def test_mermaid_labels_cannot_end_a_string_inject_html_or_close_the_fence():
    chain = MonitorChain("t.yaml", EVIL, EVIL, (ChainLink("App monitor", f"`{EVIL}`", PASS),
                                                ChainLink("Identity pool", EVIL, "FAIL", ("RUM-POOL-002",))))
    lines = mermaid(graph(chain))
    body = lines[1:-1]
    assert all(STATEMENT.fullmatch(line) for line in body), body
    assert not any("<script" in line or "```" in line or "pwned[" in line for line in body)
    assert sum(line.startswith("```") for line in lines) == 2
    assert "#60;script#62;" in "\n".join(body)


def test_markdown_report_puts_the_picture_and_linked_findings_above_the_table(cli):
    result = cli("check", str(EXAMPLES / "broken"), "--no-config", "--format", "markdown")
    lines = result.out.splitlines()
    picture, table = lines.index("```mermaid"), lines.index("| Link | Resource | Result | Findings |")
    assert picture < table
    listed = [line for line in lines[picture:table] if line.startswith("- ")]
    assert [re.match(r"- \*\*(\w+)\*\* \[(RUM-[A-Z]+-\d+)\]\((\S+)\)", line).groups()[:2] for line in listed] == [
        ("error", "RUM-POOL-002"), ("error", "RUM-TRUST-002"), ("error", "RUM-PERM-005"), ("warning", "RUM-PERM-004")]
    assert all("/RUM-" in line and ".md#fix)" in line for line in listed)


def _dot_problems(text: str) -> list[str]:
    """A minimal DOT check: a digraph, braces balanced outside strings, every edge's nodes declared."""
    problems = []
    if not text.startswith("digraph "):
        problems.append("not a digraph")
    bare = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    if '"' in bare.replace('""', ""):
        problems.append("unterminated string")
    depth = 0
    for char in bare:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            problems.append("} before {")
    if depth:
        problems.append("unbalanced braces")
    declared = set(re.findall(r"^\s*(\w+) \[label=", bare, re.M))
    for source, target in re.findall(r"^\s*(\w+) -> (\w+) \[", bare, re.M):
        if not {source, target} <= declared:
            problems.append(f"undeclared node in {source} -> {target}")
    return problems


def test_dot_output_is_a_digraph_of_declared_nodes(cli, tmp_path):
    result = cli("check", str(EXAMPLES / "broken"), str(EXAMPLES / "correct"), "--no-config", "--format", "dot")
    assert result.status == 1
    assert _dot_problems(result.out) == []
    assert "m0_guest_role -> m0_trust_policy [label=\"trusts: RUM-TRUST-002\", color=red" in result.out
    assert "style=dashed" in result.out and "subgraph cluster_1 {" in result.out
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg"], input=result.out, text=True, check=True, capture_output=True)


def test_dot_strings_cannot_be_ended_by_the_input():
    from rumpolicy.report import Report
    from rumpolicy.report.dot import render

    chain = MonitorChain("t.yaml", EVIL + "\\", EVIL + "\\", (ChainLink("App monitor", EVIL + '\\"', PASS),))
    report = check([str(EXAMPLES / "correct")], Options())
    text = render(Report(report.result, 0, chains=(chain,)), root=ROOT)
    assert _dot_problems(text) == []
    assert "pwned" not in re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg"], input=text, text=True, check=True, capture_output=True)


def test_github_format_writes_the_job_summary_only_when_asked(cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    cli("check", str(EXAMPLES / "broken"), "--no-config", "--format", "github")
    assert not summary.exists()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli("check", str(EXAMPLES / "broken"), "--no-config", "--format", "github")
    assert result.out.startswith("::error ")                  # the annotations are unchanged
    text = summary.read_text("utf-8")
    assert text.startswith("# rumpolicy report") and "```mermaid\nflowchart LR\n" in text


@pytest.mark.parametrize("bad", [str(ROOT), "/dev/full"])
def test_github_summary_that_cannot_be_written_is_a_warning(cli, monkeypatch, bad):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", bad)
    result = cli("check", str(EXAMPLES / "correct"), "--no-config", "--format", "github")
    assert result.status == 0
    assert "cannot write $GITHUB_STEP_SUMMARY" in result.err
