"""Property: type mutations of the bundled examples never crash ``rumpolicy check``, in any report format.

The seeds are the bundled examples, the IAM, CLI-output, plan and web client inputs under
``fixtures/inputs`` and every rule's fixtures. Each is parsed to plain data
(``rumpolicy.load.source.parse_text``, which also turns CloudFormation short forms into long ones);
up to four of its nodes are replaced by a value of another type (scalars with control characters
or lone surrogates, lists, maps, CloudFormation functions of the wrong shape, nesting past the
depth limit), wrapped in or unwrapped from a container, deleted, renamed or given a duplicate key;
and the document is written again as YAML (block or flow) or JSON. Terraform stays text: its literals are replaced by literals of another type, which keeps
the HCL well formed so the evaluator, not the parser, meets the change. Then one ``check`` writes
all seven reports. Whatever the input, the run must end with exit status 0 or 1, print no
traceback, and report no crashed rule (RUM-SRC-003): a mutated input is a finding, not a defect.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import shutil
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rumpolicy.cli import main
from rumpolicy.load.source import SourceError, parse_text
from tests.conftest import ROOT, examples

FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab", "markdown")
INPUTS = ROOT / "fixtures" / "inputs"


@dataclass(frozen=True)
class Seed:
    """A file to mutate, checked in its folder (``alone``: copied into a folder of its own)."""

    folder: Path
    mutated: str                      # the file's name in the folder
    args: tuple[str, ...] = ()
    alone: bool = False


def _args(path: Path) -> tuple[str, ...]:
    """The options a fixture is checked with (its ``.args`` file), if any."""
    return tuple(path.read_text().split()) if path.is_file() else ()


def _seeds() -> list[Seed]:
    seeds = [Seed(path.parent, path.name, alone=True)
             for path in sorted((ROOT / "examples").rglob("*")) if path.suffix in (".yaml", ".tf")]
    # Groups of files linked into one chain: one of them is mutated, the others stay as they are.
    cli_args = ("--region", "us-east-1", "--account", "123456789012")
    seeds += [Seed(INPUTS / "cli" / "broken", path.name, cli_args)
              for path in sorted((INPUTS / "cli" / "broken").glob("*.json"))]
    seeds += [Seed(INPUTS / "webclient" / "json-config", name) for name in ("rum.yaml", "rum-config.json")]
    seeds += [Seed(INPUTS / "terraform" / "basic-flow-module", "main.tf"),
              Seed(INPUTS / "terraform" / "json-syntax", "main.tf.json")]
    seeds += [Seed(path.parent, path.name, _args(path.with_name(f"{path.name}.args")), alone=True)
              for path in sorted((INPUTS / "iam").glob("*")) if path.suffix in (".json", ".yaml")]
    seeds += [Seed(INPUTS / "terraform-plan", name, alone=True) for name in ("example-broken.json", "state.json")]
    seeds += [Seed(INPUTS / "cloudformation", name, alone=True) for name in ("json-long-form.json", "sam-template.yaml")]
    # Every rule's bad and good examples: each reaches its rule with a shape the examples above lack.
    seeds += [Seed(path.parent, path.name, alone=True) for path in sorted((ROOT / "fixtures" / "rules").glob("*/*"))
              if path.suffix in (".yaml", ".tf", ".json")]
    return [seed for seed in seeds if _parses(seed.folder / seed.mutated)]


def _parses(path: Path) -> bool:
    """Mutations start from parsed data: fixtures that are broken on purpose (or JSON5) have none."""
    if path.suffix == ".tf":
        return True
    try:
        parse_text(path.read_text("utf-8"), str(path))
    except SourceError:
        return False
    return True


SEEDS = _seeds()


# --- values and mutations ----------------------------------------------------------------------------

class Duplicated(dict):
    """A mapping written with one key twice, the second time with ``again``, which a dict cannot hold."""

    def __init__(self, pairs: dict, key: str, again: object) -> None:
        super().__init__(pairs)
        self.key, self.again = key, again


HOSTILE_STRINGS = st.sampled_from([
    "", " ", "line\nbreak", "tab\there", "\x00", "\x01\x1f\x7f", "\ud800", "a\udfffb", "\u2028", "\ufeff",
    "*", "arn:aws:rum:*:*:appmonitor/*", "${AWS::Region}", "${var.x}", "Ref", "Fn::GetAtt", "-1",
    "1e400", "true", "null", "é" * 3, "x" * 5000,
])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_STRINGS, st.text(max_size=20),
)


# Keys that pointers must escape, that differ only in case, or that no one expects.
KEYS = st.sampled_from(["", "a/b", "~1", "~", "\ud800", "line\nbreak", "Ref", "Fn::GetAtt", "Type", "type",
                        "Properties", "Statement", "Condition", "Effect", "Resource", "NotResource", "NotAction",
                        "Principal", "Fn::If", "<<", "0", " "])


def _deep(depth: int, mapping: bool) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = {"k": value} if mapping else [value]
    return value


# CloudFormation functions with arguments of the wrong shape or naming nothing that exists.
INTRINSICS = st.sampled_from([
    {"Ref": "Missing"}, {"Ref": ["a"]}, {"Ref": "AWS::Region"}, {"Fn::GetAtt": "Missing.Arn"}, {"Fn::GetAtt": ["X"]},
    {"Fn::GetAtt": [1, {}]}, {"Fn::Sub": ["${X}", {"X": []}]}, {"Fn::Sub": ["${X}", "notamap"]}, {"Fn::Sub": []},
    {"Fn::Sub": "${!Literal}-${AWS::AccountId}-${Missing.Arn}"}, {"Fn::Join": [",", "notalist"]}, {"Fn::Join": []},
    {"Fn::Join": [[], [1, None, {}]]}, {"Fn::Select": ["1", []]}, {"Fn::Select": [-1, [1]]}, {"Fn::Select": ["x", "y"]},
    {"Fn::Split": [1, 2]}, {"Fn::Split": [",", {"Ref": "AWS::NoValue"}]}, {"Fn::If": ["Cond", 1]},
    {"Fn::If": [[], 1, 2]}, {"Fn::FindInMap": ["M", "a", "b"]}, {"Fn::FindInMap": [1]}, {"Fn::ImportValue": {}},
    {"Fn::Base64": []}, {"Fn::GetAZs": 1}, {"Fn::Cidr": []}, {"Ref": "AWS::NoValue"}, {"Fn::Transform": {}},
    {"Fn::Equals": [1]}, {"Condition": []}, {"Fn::Sub": 7}, {"Fn::GetAtt": "X"},
])
REPLACEMENTS = st.one_of(
    SCALARS, INTRINSICS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "a", ""]), SCALARS,
                    max_size=2),
    st.builds(_deep, st.integers(min_value=1, max_value=250), st.booleans()),
).map(copy.deepcopy)    # a fresh value each time: later mutations change it in place


def _paths(value: object, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*here, index))
    return out


def _parent(document: object, path: tuple) -> object:
    for token in path[:-1]:
        document = document[token]
    return document


def _mutate(document: object, draw) -> object:
    path = draw(st.sampled_from(_paths(document)))
    if not path:
        return draw(REPLACEMENTS)
    parent = _parent(document, path)
    kind = draw(st.sampled_from(["replace", "replace", "wrap", "unwrap", "delete", "duplicate", "rename"]))
    current = parent[path[-1]]
    if kind == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind == "wrap":
        # The same content one level down, in the other kind of container: what loaders misread most.
        parent[path[-1]] = draw(st.sampled_from([[current], {"Fn::If": ["C", current, current]},
                                                 {str(path[-1]): current}, [current, current]]))
    elif kind == "rename" and isinstance(parent, dict) and not isinstance(parent, Duplicated):
        key = path[-1]
        renamed = {(draw(KEYS) if k == key else k): v for k, v in parent.items()}
        parent.clear()
        parent.update(renamed)
    elif kind == "unwrap" and isinstance(current, (dict, list)) and current:
        items = list(current.values()) if isinstance(current, dict) else current
        parent[path[-1]] = draw(st.sampled_from([items, items[0], items[-1]]))
    elif kind == "duplicate" and isinstance(parent, dict) and not isinstance(parent, Duplicated):
        grand = _parent(document, path[:-1]) if len(path) > 1 else None
        duplicated = Duplicated(parent, path[-1], draw(REPLACEMENTS))
        if grand is None:
            return duplicated
        grand[path[-2]] = duplicated
    else:
        parent[path[-1]] = draw(REPLACEMENTS)
    return document


def _json(value: object) -> str:
    """JSON, with ``Duplicated`` keys written twice; ASCII only, so lone surrogates become escapes."""
    if isinstance(value, dict):
        pairs = [f"{json.dumps(str(k))}: {_json(v)}" for k, v in value.items()]
        if isinstance(value, Duplicated):
            pairs.append(f"{json.dumps(str(value.key))}: {_json(value.again)}")
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value)


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _serialize(document: object, suffix: str, style: str) -> str:
    if suffix == ".json":
        return _json(document)
    if style == "block":
        # PyYAML escapes what YAML cannot hold literally; duplicates need the flow form.
        return yaml.safe_dump(_plain(document), allow_unicode=False, sort_keys=False)
    # A comment first, so the flow text is read as YAML rather than JSON.
    return "# mutated\n" + _json(document) + "\n"


# --- Terraform: literals of another type, the HCL staying well formed --------------------------------

TF_STRING = re.compile(r'"(?:[^"\\$%\n]|\\.)*"')
TF_BOOL_OR_NUMBER = re.compile(r"(?<==)\s*(true|false|-?\d+(?:\.\d+)?)\s*$", re.MULTILINE)
TF_REPLACEMENTS = st.sampled_from([
    "1", "-1", "1.5e300", "true", "false", "null", "[]", '["a", 1, true]', "{}", '{ a = 1, b = "x" }',
    '"line\\nbreak"', '"\\u0000"', '"\\ud800"', '"*"', '"${1 + 1}"', "[[[[[]]]]]", '{ Ref = "X" }',
])


def _tf_literals(text: str) -> list[tuple[int, int]]:
    """Spans of string, number and bool values: not block labels or object keys, whose type HCL fixes."""
    spans = []
    for match in TF_STRING.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        after = text[match.end():line_end if line_end >= 0 else len(text)]
        if TF_BLOCK_HEADER.match(text, line_start) or re.match(r"\s*[={\"]", after):
            continue
        spans.append(match.span())
    return spans + [m.span(1) for m in TF_BOOL_OR_NUMBER.finditer(text)]


TF_BLOCK_HEADER = re.compile(r"\s*(resource|data|variable|output|module|provider|locals|terraform)\b")


def _mutate_terraform(text: str, draw) -> str:
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        literals = _tf_literals(text)       # again each time: a replacement moves the later spans
        if not literals:
            break
        start, end = draw(st.sampled_from(literals))
        text = text[:start] + draw(TF_REPLACEMENTS) + text[end:]
    return text


# --- the property ------------------------------------------------------------------------------------

def _mutated_input(seed: Seed, draw) -> str:
    source = seed.folder / seed.mutated
    text = source.read_text("utf-8")
    if source.suffix == ".tf":
        return _mutate_terraform(text, draw)
    document = parse_text(text, str(source)).data
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        document = _mutate(document, draw)
    return _serialize(document, source.suffix, draw(st.sampled_from(["block", "flow"])))


def _place(seed: Seed, folder: Path, mutated: str) -> None:
    if seed.alone:
        folder.mkdir()
    else:
        shutil.copytree(seed.folder, folder, ignore=shutil.ignore_patterns("*.expected.json", "*.args"))
    (folder / seed.mutated).write_text(mutated, "utf-8")


def _run(folder: Path, args: tuple[str, ...]) -> tuple[int | str, str, dict, list[str]]:
    """Exit status (or what escaped), stderr, the JSON report and the names of the reports written."""
    reports = folder.parent / "reports"
    reports.mkdir()
    argv = ["check", str(folder), "--no-config", "--no-color", *args]
    for name in FORMATS:
        argv += ["--format", name, "-o", str(reports / name)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status: int | str = main(argv)
        except SystemExit as exc:
            status = f"SystemExit({exc.code!r})"
        except BaseException:      # noqa: BLE001 - the property is that nothing escapes
            status = "raised"
            err.write(traceback.format_exc())
    written = sorted(path.name for path in reports.iterdir())
    report = json.loads((reports / "json").read_text("utf-8")) if "json" in written else {}
    return status, err.getvalue(), report, written


# About 15 s on 2 shared cores; each example is one in-process check writing seven reports.
# Without the explain phase, which would add some 20 s to a failing run; the shrunk input is in the message.
@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_examples_are_findings_never_crashes(seed, data):
    mutated = _mutated_input(seed, data.draw)
    with tempfile.TemporaryDirectory(prefix="rumpolicy-mutation-") as work:
        folder = Path(work) / "input"
        _place(seed, folder, mutated)
        status, err, report, written = _run(folder, seed.args)
    crashed = [f for f in report.get("findings", ()) if f["rule_id"] == "RUM-SRC-003"]
    assert status in (0, 1) and "Traceback" not in err and not crashed and written == sorted(FORMATS), (
        f"{seed.folder.relative_to(ROOT)}/{seed.mutated}: exit {status}, reports {written}\n{err[-3000:]}\n"
        f"{json.dumps(crashed, indent=1)[:2000]}\n--- input ---\n{mutated[:3000]}")
