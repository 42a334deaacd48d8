"""The pipeline is visible in the imports: each layer imports only the layers below it.

The layers, lowest first, are the README's Layout section. A module may import its own layer and
any layer below; an import that goes up (the model reaching into the IAM evaluator, a report
calling the doc generator, the audit importing a report) fails here, with the edge named. Imports
inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("rumpolicy", "rumpolicy.findings", "rumpolicy.paths", "rumpolicy.aws", "rumpolicy.escape",
              "rumpolicy.records")),
    ("model", ("rumpolicy.model",)),
    ("iam", ("rumpolicy.iam",)),
    ("chain", ("rumpolicy.chain",)),
    ("load", ("rumpolicy.load",)),
    ("audit", ("rumpolicy.audit",)),
    ("engine", ("rumpolicy.engine",)),
    ("rules", ("rumpolicy.rules",)),
    ("suppress", ("rumpolicy.suppress", "rumpolicy.baseline")),
    ("config", ("rumpolicy.config",)),
    ("report", ("rumpolicy.report",)),
    ("api", ("rumpolicy.api",)),
    # Sending findings to Security Hub: from an audit (the CLI) and from the AWS Config rule.
    ("export", ("rumpolicy.security_hub",)),
    ("front", ("rumpolicy.aws_config", "rumpolicy.cli", "rumpolicy.completion", "rumpolicy.fix", "rumpolicy.init", "rumpolicy.cfnlint_plugin",
               "rumpolicy.docs", "rumpolicy.__main__")),
)
# The engine finds the rules: it reads the generated index and the retired-id ledger, and imports rule
# modules by name at run time (never their contents at import time). These are the only upward edges.
DISCOVERY = {("rumpolicy.engine", "rumpolicy.rules"), ("rumpolicy.engine", "rumpolicy.rules._index"),
             ("rumpolicy.engine", "rumpolicy.rules._retired")}


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") and prefix != "rumpolicy":
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return best[0] if best else None


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "rumpolicy").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in (ROOT / "rules").rglob("*.py"):
        parts = ("rumpolicy", *path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(module: str, path: Path) -> set[str]:
    out = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("rumpolicy"):
                out.add(target)
                for alias in node.names:     # `from rumpolicy.chain import link` names a module
                    if f"{target}.{alias.name}" in MODULES:
                        out.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rumpolicy"))
    return out


MODULES = modules()


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_imports_only_go_down():
    upward = []
    for module, path in sorted(MODULES.items()):
        here = layer_of(module)
        for target in sorted(imports(module, path)):
            there = layer_of(target)
            if there is not None and there > here and (module, target) not in DISCOVERY:
                upward.append(f"{module} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})")
    assert upward == []


def test_the_readme_lists_the_layers_in_order():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    positions = [section.find(f"`{name}`") for name, _ in LAYERS]
    assert -1 not in positions, [name for (name, _), p in zip(LAYERS, positions) if p == -1]
    assert positions == sorted(positions)
