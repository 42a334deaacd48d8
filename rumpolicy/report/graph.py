"""Each app monitor's authorization chain as a graph: the nodes of the model, the links between them, and
the state of every link with the findings on it.

    web client -uses-> app monitor -uses-> identity pool -uses-> attachment -attaches-> guest role
    guest role -trusts-> trust policy      guest role -allows-> permissions
    resource policy -allows-> app monitor  SCPs -allows-> permissions (an audit that could see them)

A link is **broken** when a rule reports an error or a warning about it (TRUST-* on `trusts`, PERM-* on the
role's `allows`, ATT-* on `attaches`, POOL-* on the pool, CLIENT-* and XREF-001..004 on the web client's
`uses`) or the IAM evaluator says the role does not cover the monitor; **not checked** when a rule could not
decide about it (RUM-SRC-001) or its other end is not in the input; **ok** otherwise. A link the monitor
does not use (no identity pool, no resource policy) is not drawn. A node carries the state of its own
findings (MON-* on the app monitor).

The graph is built from the chains ``rumpolicy.report.markdown.chains`` computes for ``check`` and ``audit``
alike (``Report.chains``), so the table, the Mermaid picture and the DOT graph cannot disagree.
"""

from __future__ import annotations

import re

from rumpolicy.findings import Finding, Severity
from rumpolicy.records import value_type
from rumpolicy.report.markdown import FAIL, NOT_USED, UNKNOWN, WARN, ChainLink, MonitorChain

OK, BROKEN, NOT_CHECKED = "ok", "broken", "not checked"
USES, ATTACHES, TRUSTS, ALLOWS = "uses", "attaches", "trusts", "allows"
NODE_KINDS = ("web_client", "app_monitor", "identity_pool", "attachment", "guest_role", "trust_policy",
              "permissions", "resource_policy", "scps")
TITLES = {"web_client": "Web client", "app_monitor": "App monitor", "identity_pool": "Identity pool",
          "attachment": "Role attachment", "guest_role": "Guest role", "trust_policy": "Trust policy",
          "permissions": "Permissions", "resource_policy": "Resource policy", "scps": "Service control policies"}


@value_type(slots=False)
class Node:
    id: str                         # safe in every format: [a-z_0-9]+
    kind: str                       # one of NODE_KINDS
    label: str                      # what the input names there, as written (the renderers escape it)
    state: str = OK                 # the state of its own findings (the app monitor's MON-* rules)
    findings: tuple[Finding, ...] = ()


@value_type(slots=False)
class Edge:
    source: str                     # node ids
    target: str
    relation: str                   # USES | ATTACHES | TRUSTS | ALLOWS
    state: str                      # OK | BROKEN | NOT_CHECKED
    findings: tuple[Finding, ...] = ()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule_id for f in self.findings))


@value_type(slots=False)
class MonitorGraph:
    group: str
    monitor: str
    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, kind: str) -> Node | None:
        return next((n for n in self.nodes if n.kind == kind), None)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding on the graph, once, the most severe first (then in the report's order)."""
        seen = dict.fromkeys(f for part in (*self.nodes, *self.edges) for f in part.findings)
        return tuple(sorted(seen, key=lambda f: (SEVERITY_ORDER.get(f.severity.value, 9), *Finding.sort_key(f))))


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


CLIENT_XREF_RULES = ("RUM-XREF-001", "RUM-XREF-002", "RUM-XREF-003", "RUM-XREF-004")


def _serious(findings) -> bool:
    return any(f.severity in (Severity.ERROR, Severity.WARNING) for f in findings)


def state_of(link: ChainLink) -> str:
    if link.result in (FAIL, WARN):
        return BROKEN
    if link.result == UNKNOWN:
        return NOT_CHECKED
    return OK


def _plain(resource: str) -> str:
    """The resource text of a link without the Markdown code spans the table wraps it in."""
    text = re.sub(r"(`+) ?(.*?) ?\1(?!`)", r"\2", resource)
    return text.replace("\\|", "|")


def graph(chain: MonitorChain) -> MonitorGraph:
    """One monitor's chain as a graph."""
    links = {link.name: link for link in chain.links}
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []

    def node(kind: str, label: str, link: ChainLink | None = None) -> str:
        if kind not in nodes:
            state = state_of(link) if link is not None else OK
            nodes[kind] = Node(kind, kind, label, state, link.findings if link is not None else ())
        return kind

    def edge(source: str, target: str, relation: str, link: ChainLink | None, *, state: str | None = None,
             findings: bool = True) -> None:
        edges.append(Edge(source, target, relation, state or state_of(link),
                          link.findings if findings and link is not None else ()))

    # The web client's cross-checks with its monitor (region, pool, role: RUM-XREF-001..004) are reported on
    # the monitor; in the graph they are on the link between the two, and the monitor keeps its own (MON-*).
    monitor_link = links.get("App monitor")
    mine = monitor_link.findings if monitor_link is not None else ()
    between = tuple(f for f in mine if f.rule_id in CLIENT_XREF_RULES)
    own = tuple(f for f in mine if f.rule_id not in CLIENT_XREF_RULES)
    monitor_state = (BROKEN if _serious(own) else NOT_CHECKED if monitor_link is not None
                     and monitor_link.result == UNKNOWN else OK)
    nodes["app_monitor"] = Node("app_monitor", "app_monitor", chain.name or chain.monitor, monitor_state, own)
    monitor = "app_monitor"
    client = chain.web_client
    client_findings = (client.findings if client is not None else ()) + between
    client_state = BROKEN if _serious(client_findings) else state_of(client) if client is not None else NOT_CHECKED
    label = _plain(client.resource) if client is not None else "not in the input"
    edges.append(Edge(node("web_client", label), monitor, USES, client_state, client_findings))
    pool_link, attachment_link = links.get("Identity pool"), links.get("Role attachment")
    trust_link, permissions_link = links.get("Role trust"), links.get("Permissions")
    role = None
    if trust_link is not None and trust_link.result != NOT_USED:
        role = node("guest_role", _plain(trust_link.resource))
    if pool_link is not None and pool_link.result != NOT_USED:
        pool = node("identity_pool", _plain(pool_link.resource), pool_link)
        edge(monitor, pool, USES, pool_link)
        if attachment_link is not None and attachment_link.result != NOT_USED:
            attachment = node("attachment", _plain(attachment_link.resource))
            edge(pool, attachment, USES, attachment_link,
                 state=NOT_CHECKED if state_of(attachment_link) == NOT_CHECKED else OK, findings=False)
            state = state_of(attachment_link)
            if role is None:          # the attached role is not in the input: that end cannot be checked
                role = node("guest_role", "not in the input")
                state = NOT_CHECKED if state == OK else state
            edge(attachment, role, ATTACHES, attachment_link, state=state)
    elif role is not None:
        edge(monitor, role, USES, trust_link, state=OK if state_of(trust_link) != NOT_CHECKED else NOT_CHECKED,
             findings=False)     # the basic flow without a pool: the monitor names its guest role
    if role is not None and trust_link is not None:
        edge(role, node("trust_policy", "AssumeRolePolicyDocument"), TRUSTS, trust_link)
    permissions = None
    if role is not None and permissions_link is not None and permissions_link.result != NOT_USED:
        permissions = node("permissions", "rum:PutRumEvents on this monitor")
        edge(role, permissions, ALLOWS, permissions_link)
    policy_link = links.get("Resource policy")
    if policy_link is not None and policy_link.result != NOT_USED:
        edge(node("resource_policy", _plain(policy_link.resource)), monitor, ALLOWS, policy_link)
    for link in chain.links:
        if link.name == "Service control policies" and link.result != NOT_USED:
            scps = node("scps", _plain(link.resource))
            edge(scps, permissions or monitor, ALLOWS, link)
    ordered = tuple(sorted(nodes.values(), key=lambda n: NODE_KINDS.index(n.kind)))
    return MonitorGraph(chain.group, chain.monitor, chain.name, ordered, tuple(edges))


def graphs(chains) -> tuple[MonitorGraph, ...]:
    """The graph of every chain of a run (``Report.chains``)."""
    return tuple(graph(chain) for chain in chains or ())


# --- Mermaid ---------------------------------------------------------------------------------------------

# Kept as written in a Mermaid label; every other character becomes an entity code (``#60;``), so a value from
# the input can end no string, open no HTML and close no Markdown fence.
MERMAID_SAFE = re.compile(r"[A-Za-z0-9 _.:/@,=+*$-]")


def mermaid_text(text: str) -> str:
    from rumpolicy.escape import visible

    return "".join(c if MERMAID_SAFE.fullmatch(c) else f"#{ord(c)};" for c in visible(text))


def mermaid(monitor_graph: MonitorGraph) -> list[str]:
    """The graph as a Mermaid ``flowchart LR`` block: broken links red with their rule ids, not checked dashed."""
    lines = ["```mermaid", "flowchart LR"]
    for n in monitor_graph.nodes:
        lines.append(f'  {n.id}["{mermaid_text(TITLES[n.kind])}<br/>{mermaid_text(n.label)}"]')
    styles = []
    for index, e in enumerate(monitor_graph.edges):
        label = e.relation + (": " + ", ".join(e.rule_ids) if e.state == BROKEN and e.rule_ids else "")
        arrow = "-.->" if e.state == NOT_CHECKED else "-->"
        lines.append(f'  {e.source} {arrow}|"{mermaid_text(label)}"| {e.target}')
        if e.state == BROKEN:
            styles.append(f"  linkStyle {index} stroke:red,stroke-width:2px,color:red")
    lines += styles
    lines += ["  classDef broken stroke:red,stroke-width:2px", "  classDef notchecked stroke-dasharray:4 3"]
    for n in monitor_graph.nodes:
        touching = [e for e in monitor_graph.edges if n.id in (e.source, e.target)]
        if n.state == BROKEN:
            lines.append(f"  class {n.id} broken")
        elif touching and all(e.state == NOT_CHECKED for e in touching):
            lines.append(f"  class {n.id} notchecked")
    lines.append("```")
    return lines
