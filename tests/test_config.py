"""Configuration files: discovery, validation (exit 2 with a located message), and every setting."""

from __future__ import annotations

import textwrap

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rumpolicy.config import load_config, schema
from rumpolicy.docs import config_example, config_example_toml
from tests.conftest import ROOT, examples

EXAMPLES = ROOT / "examples"
BROKEN = (EXAMPLES / "broken" / "rum-shop.yaml").read_text()
# Works, with one warning: the classic flow is left on although only the enhanced flow is used.
WARNING_ONLY = (EXAMPLES / "correct" / "rum-web.yaml").read_text().replace("AllowClassicFlow: false",
                                                                           "AllowClassicFlow: true")
POLICY = ROOT / "fixtures" / "inputs" / "iam" / "guest-role-wildcard-permissions.yaml"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra").mkdir()
    return tmp_path


def ids(result) -> list[str]:
    return [f["rule_id"] for f in result.json()["findings"]]


def test_yaml_config_found_walking_up_and_options_override_it(cli, project):
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    (project / ".rumpolicy.yaml").write_text("fail-on: warning\n")
    sub = project / "infra"
    import os
    os.chdir(sub)
    assert cli("check", "web.yaml").status == 1
    assert cli("check", "web.yaml", "--fail-on", "error").status == 0
    assert cli("check", "web.yaml", "--no-config").status == 0


def test_pyproject_table_and_passing_over_a_pyproject_without_one(cli, project):
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    (project / "pyproject.toml").write_text('[tool.rumpolicy]\nignore = ["RUM-POOL-003"]\n')
    (project / "infra" / "pyproject.toml").write_text('[project]\nname = "infra"\n')
    import os
    os.chdir(project / "infra")
    result = cli("check", "web.yaml", "--format", "json", "--fail-on", "info")
    assert result.status == 0 and ids(result) == []
    # Nearer wins: a .rumpolicy.yaml in the infra folder replaces the pyproject table above it.
    (project / "infra" / ".rumpolicy.yml").write_text("fail-on: info\n")
    assert ids(cli("check", "web.yaml", "--format", "json")) == ["RUM-POOL-003"]


def test_explicit_config_file(cli, project, tmp_path_factory):
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    elsewhere = tmp_path_factory.mktemp("cfg") / "strict.yaml"
    elsewhere.write_text("fail-on: warning\n")
    assert cli("check", "infra", "--config", str(elsewhere)).status == 1
    missing = cli("check", "infra", "--config", "nope.yaml")
    assert missing.status == 2 and "no such file" in missing.err


@pytest.mark.parametrize("text, expected", [
    ("fail-on: fatal\n", ".rumpolicy.yaml:1:1: fail-on: 'fatal' is not one of ['error', 'warning', 'info']"),
    ("select: [RUM-TRUST-002]\nfailon: error\n",
     ".rumpolicy.yaml:2:1: (top level): unknown setting `failon` (did you mean `fail-on`?)"),
    ("select:\n  - RUM-TRUST-002\n  - RUM-TRUST-999\n", ".rumpolicy.yaml:3:5: select.1: no rule 'RUM-TRUST-999'"),
    ("severity:\n  RUM-PERM-004: fatal\n", ".rumpolicy.yaml:2:3: severity.RUM-PERM-004: 'fatal' is not one of"),
    ("severity:\n  RUM-NOPE-004: error\n", ".rumpolicy.yaml:2:3: severity.RUM-NOPE-004: no rule 'RUM-NOPE-004'"),
    ("ignore: [RUM-SRC-000]\n", "RUM-SRC-000 cannot be ignored"),
    ("region: Mars\n", ".rumpolicy.yaml:1:1: region: 'Mars' does not match"),
    ("suppress:\n  - reason: no id\n", ".rumpolicy.yaml:2:5: suppress.0: 'id' is a required property"),
    ("fail-on: [unclosed\n", ".rumpolicy.yaml:1:10: invalid YAML"),
    ("- a list\n", "the settings must be a mapping"),
])
def test_invalid_yaml_config_exits_2_with_a_located_message(cli, project, text, expected):
    (project / ".rumpolicy.yaml").write_text(text)
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    result = cli("check", "infra")
    assert result.status == 2
    assert result.out == ""
    assert expected in result.err, result.err


@pytest.mark.parametrize("text, expected", [
    ('[tool.rumpolicy]\nfail-on = 3\n', "pyproject.toml: tool.rumpolicy.fail-on: 3 is not one of"),
    ('[tool.rumpolicy\n', "pyproject.toml: Expected ']'"),
    ('[project]\nname = "x"\n', "pyproject.toml: no [tool.rumpolicy] table"),
    ('[tool.rumpolicy]\nselect = ["RUM-PERM-123"]\n', "tool.rumpolicy.select.0: no rule 'RUM-PERM-123'"),
])
def test_invalid_pyproject_config_exits_2(cli, project, text, expected):
    (project / "pyproject.toml").write_text(text)
    result = cli("check", ".", "--config", "pyproject.toml")
    assert result.status == 2 and expected in result.err, result.err


def test_select_ignore_and_aliases(cli, project):
    (project / "infra" / "shop.yaml").write_text(BROKEN)
    (project / ".rumpolicy.yaml").write_text("select: [RUM-TRUST-002, RUM-PERM-004]\n")
    assert ids(cli("check", "infra", "--format", "json")) == ["RUM-TRUST-002", "RUM-PERM-004"]
    assert ids(cli("check", "infra", "--format", "json", "--select", "RUM-POOL-002")) == ["RUM-POOL-002"]
    assert ids(cli("check", "infra", "--format", "json", "--ignore", "RUM-TRUST-002,RUM-PERM-004")) == []
    # RUM-POOL-005 is reported as RUM-XREF-001: either id selects the rule.
    assert cli("check", "infra", "--select", "RUM-POOL-005").status == 0
    assert cli("check", "infra", "--select", "RUM-BOGUS-001").status == 2
    assert cli("check", "infra", "--ignore", "RUM-SRC-003").status == 2


def test_select_keeps_unreadable_files_reported(cli, project):
    (project / "infra" / "broken.yaml").write_text("Resources:\n  X: [unclosed\n")
    (project / ".rumpolicy.yaml").write_text("select: [RUM-TRUST-002]\n")
    result = cli("check", "infra", "--format", "json")
    assert result.status == 1 and ids(result) == ["RUM-SRC-000"]


def test_severity_override(cli, project):
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    (project / ".rumpolicy.yaml").write_text("severity:\n  RUM-POOL-003: error\n")
    result = cli("check", "infra", "--format", "json")
    assert result.status == 1
    assert [f["severity"] for f in result.json()["findings"]] == ["error"]


def test_exclude_applies_to_walked_and_named_files(cli, project):
    (project / "infra" / "legacy").mkdir()
    (project / "infra" / "legacy" / "old.yaml").write_text(BROKEN)
    (project / "infra" / "web.yaml").write_text(WARNING_ONLY)
    (project / ".rumpolicy.yaml").write_text("exclude: ['legacy/']\n")
    assert cli("check", "infra").status == 0
    named = cli("check", "infra/legacy/old.yaml", "infra/web.yaml", "--format", "json")
    assert named.status == 0 and named.json()["summary"]["files_checked"] == 1
    assert cli("check", "infra", "--no-config").status == 1


def test_app_monitors_region_account_partition(cli, project):
    (project / ".rumpolicy.yaml").write_text(
        "app-monitors: ['arn:aws:rum:us-east-1:123456789012:appmonitor/web']\n")
    from_config = cli("check", str(POLICY), "--format", "json").json()["findings"]
    from_option = cli("check", str(POLICY), "--format", "json", "--no-config",
                      "--app-monitor", "arn:aws:rum:us-east-1:123456789012:appmonitor/web").json()["findings"]
    assert from_config == from_option
    assert "appmonitor/web" in from_config[-1]["message"]
    (project / ".rumpolicy.yaml").write_text("region: eu-west-1\naccount: '123456789012'\npartition: aws-cn\n")
    # A literal ARN of another region and account: whether it is the monitor's depends on where the stack deploys.
    (project / "infra" / "shop.yaml").write_text(BROKEN.replace(
        'Resource: "*"', "Resource: arn:aws:rum:us-east-1:111111111111:appmonitor/shop-example-com"))
    pinned = cli("check", "infra", "--format", "json").out
    by_options = cli("check", "infra", "--format", "json", "--no-config", "--region", "eu-west-1",
                     "--account", "123456789012", "--partition", "aws-cn").out
    assert pinned == by_options != cli("check", "infra", "--format", "json", "--no-config").out


def test_var_files_are_relative_to_the_config_file(cli, project):
    (project / ".rumpolicy.yaml").write_text("var-files: [env/prod.tfvars]\n")
    result = cli("check", "infra")
    assert result.status == 2 and "env/prod.tfvars" in result.err
    (project / "env").mkdir()
    (project / "env" / "prod.tfvars").write_text('region = "eu-west-1"\n')
    assert cli("check", "infra").status == 0


def test_the_documented_examples_are_valid(tmp_path):
    example = config_example(schema())
    jsonschema.validate(example, schema())
    (tmp_path / ".rumpolicy.yaml").write_text(yaml.safe_dump(example))
    (tmp_path / "pyproject.toml").write_text(config_example_toml(example))
    from_yaml = load_config(tmp_path / ".rumpolicy.yaml")
    from_toml = load_config(tmp_path / "pyproject.toml")
    assert from_yaml.fail_on == from_toml.fail_on == "error"
    assert from_yaml.severity == from_toml.severity and from_yaml.severity
    assert [s.ids for s in from_yaml.suppress] == [s.ids for s in from_toml.suppress] == [("RUM-PERM-004",)]
    assert textwrap.dedent(config_example_toml(example)).startswith("[tool.rumpolicy]\n")


# --- long `suppress` lists: checked without jsonschema when they are plainly valid ------------------

ENTRY_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(["", "RUM-PERM-004", "rum-perm-004", "RUM-PERM-04",
                                                              "RUM-PERM-004\n", "legacy/**", "aws://123/eu-*",
                                                              "aws://x", "aws://*", "aws://aws/us-east-1"]),
    st.lists(st.sampled_from(["", "legacy/**", "aws://123456789012/*", "aws://12/EU", "aws://", 3]), max_size=3),
)
ENTRIES = st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["id", "paths", "subjects", "reason", "Reason"]), ENTRY_VALUES, max_size=4),
    ENTRY_VALUES), max_size=4)


@settings(max_examples=examples(300), deadline=None)
@given(entries=ENTRIES)
def test_the_compiled_suppress_check_agrees_with_jsonschema(entries):
    from rumpolicy.config import _suppress_validator

    valid = _suppress_validator()
    assert valid is not None, "the schema of `suppress` uses a keyword the compiled check does not know"
    expected = jsonschema.Draft202012Validator(schema()).is_valid({"suppress": entries})
    # It may only be stricter than the schema, never laxer; on these values it is exact.
    assert valid(entries) == expected


def test_an_invalid_entry_late_in_a_long_list_is_located_as_before(cli, project):
    entries = "".join(f"  - id: RUM-PERM-004\n    paths: ['t{i}/**']\n    reason: r\n" for i in range(5000))
    (project / ".rumpolicy.yaml").write_text(
        "suppress:\n" + entries + "  - id: RUM-PERM-004\n    paths: ['']\n    reaso: typo\n")
    result = cli("check", "infra")
    assert result.status == 2
    config = project / ".rumpolicy.yaml"
    assert result.err.splitlines() == [
        f"rumpolicy: error: {config}:15004:5: suppress.5000: unknown setting `reaso` (did you mean `reason`?)",
        f"{config}:15003:13: suppress.5000.paths.0: '' should be non-empty"]


def test_a_configuration_may_be_larger_than_an_input_but_not_unbounded(cli, project, monkeypatch):
    import rumpolicy.config

    (project / ".rumpolicy.yaml").write_text("fail-on: error\n" + "# padding\n" * 600_000)   # 6 MiB
    assert cli("check", "infra").status == 0
    monkeypatch.setattr(rumpolicy.config, "MAX_CONFIG_BYTES", 2**20)
    result = cli("check", "infra")
    assert result.status == 2
    assert "the configuration file is 5.7 MiB, above the 1 MiB limit" in result.err


@pytest.mark.parametrize("text, expected", [
    ('exclude: ["!"]\n', ".rumpolicy.yaml:1:11: exclude.0: '!' is not a valid gitignore pattern"),
    ('exclude: ["[z-a]"]\n', ".rumpolicy.yaml:1:11: exclude.0: '[z-a]' is not a valid gitignore pattern"),
    ("suppress:\n  - id: RUM-PERM-004\n    paths: [legacy/**, 'a\\']\n    reason: r\n",
     ".rumpolicy.yaml:3:24: suppress.0.paths.1: 'a\\\\' is not a valid gitignore pattern"),
])
def test_a_glob_pathspec_refuses_is_a_configuration_error(cli, project, text, expected):
    (project / ".rumpolicy.yaml").write_text(text)
    result = cli("check", "infra")
    assert result.status == 2 and expected in result.err, result.err


def test_only_globs_with_a_bang_backslash_or_bracket_can_be_refused():
    """Why ``_check_glob`` compiles only those: every short pattern pathspec refuses is one of them."""
    import itertools
    import warnings

    import pathspec

    refused = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for length in range(1, 4):
            for letters in itertools.product("!\\[]/*a- #?^.", repeat=length):
                pattern = "".join(letters)
                try:
                    pathspec.GitIgnoreSpec.from_lines([pattern])
                except Exception:      # noqa: BLE001 - whatever it raises, it must be in the checked class
                    refused.append(pattern)
    assert refused and all(p.startswith("!") or "\\" in p or "[" in p for p in refused)


# --- unknown settings: named with the nearest known one --------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("fail-onn: warning\n", ".rumpolicy.yaml:1:1: (top level): unknown setting `fail-onn` (did you mean `fail-on`?)"),
    ("fail_on: warning\n", ".rumpolicy.yaml:1:1: (top level): unknown setting `fail_on` (did you mean `fail-on`?)"),
    ("region: eu-west-1\nvar_files: [a.tfvars]\n",
     ".rumpolicy.yaml:2:1: (top level): unknown setting `var_files` (did you mean `var-files`?)"),
    ("suppress:\n  - id: RUM-PERM-004\n    reasn: r\n",
     ".rumpolicy.yaml:3:5: suppress.0: unknown setting `reasn` (did you mean `reason`?)"),
    ("colour: always\n", ".rumpolicy.yaml:1:1: (top level): unknown setting `colour` (known: account, app-monitors, "
                         "exclude, fail-on, ignore, partition, region, select, severity, suppress, var-files)"),
])
def test_an_unknown_setting_is_located_and_named_with_the_nearest_known_one(cli, project, text, expected):
    (project / ".rumpolicy.yaml").write_text(text)
    result = cli("check", "infra")
    assert result.status == 2 and result.out == ""
    assert result.err.splitlines() == [f"rumpolicy: error: {project / expected}"]


def test_unknown_settings_in_pyproject_and_several_at_once(cli, project):
    (project / "pyproject.toml").write_text('[tool.rumpolicy]\nfail-onn = "warning"\nignroe = []\n')
    result = cli("check", "infra")
    assert result.status == 2
    assert result.err.splitlines() == [
        f"rumpolicy: error: {project / 'pyproject.toml'}: tool.rumpolicy: unknown setting `fail-onn` "
        "(did you mean `fail-on`?)",
        f"{project / 'pyproject.toml'}: tool.rumpolicy: unknown setting `ignroe` (did you mean `ignore`?)"]


def test_an_unknown_setting_is_shown_escaped(cli, project):
    (project / ".rumpolicy.yaml").write_text('"fail-on\\e[2J": error\n')
    result = cli("check", "infra")
    assert result.status == 2 and "\x1b" not in result.err
    assert "unknown setting `fail-on\\x1b[2J` (did you mean `fail-on`?)" in result.err


# --- discovery: from the checked paths, up to the repository root ----------------------------------

def test_the_configuration_is_found_from_the_checked_path_not_only_the_current_directory(cli, tmp_path, monkeypatch):
    elsewhere = tmp_path / "other-project"
    (elsewhere / "infra").mkdir(parents=True)
    (elsewhere / "infra" / "web.yaml").write_text(WARNING_ONLY)
    (elsewhere / ".rumpolicy.yaml").write_text("fail-on: warning\n")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert cli("check", str(elsewhere / "infra")).status == 1
    assert cli("check", str(elsewhere / "infra" / "web.yaml")).status == 1
    # The nearest to the checked paths wins over the current directory's.
    (here / ".rumpolicy.yaml").write_text("fail-on: error\n")
    assert cli("check", str(elsewhere / "infra")).status == 1
    # Several paths: the configuration of the folder they share.
    (elsewhere / "infra" / "more").mkdir()
    (elsewhere / "infra" / "more" / "shop.yaml").write_text(WARNING_ONLY)
    assert cli("check", str(elsewhere / "infra" / "web.yaml"), str(elsewhere / "infra" / "more")).status == 1


def test_without_a_configuration_near_the_paths_the_current_directorys_applies(cli, tmp_path, monkeypatch):
    elsewhere = tmp_path / "generated"
    elsewhere.mkdir()
    (elsewhere / "web.yaml").write_text(WARNING_ONLY)
    here = tmp_path / "project"
    here.mkdir()
    (here / ".rumpolicy.yaml").write_text("fail-on: warning\n")
    monkeypatch.chdir(here)
    assert cli("check", str(elsewhere)).status == 1
    assert cli("check", str(elsewhere), "--no-config").status == 0


def test_discovery_stops_at_the_repository_root(cli, tmp_path, monkeypatch):
    (tmp_path / ".rumpolicy.yaml").write_text("fail-on: warning\n")     # above the repository: not its own
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    (repo / "infra" / "web.yaml").write_text(WARNING_ONLY)
    monkeypatch.chdir(repo / "infra")
    assert cli("check", ".").status == 0
    assert cli("check", str(tmp_path / "repo" / "infra")).status == 0
    (repo / "pyproject.toml").write_text('[tool.rumpolicy]\nfail-on = "warning"\n')     # at the root: found
    assert cli("check", ".").status == 1


def test_discovery_start():
    from rumpolicy.config import discovery_start

    assert discovery_start([]) is None
    assert discovery_start([str(EXAMPLES / "broken" / "rum-shop.yaml")]) == EXAMPLES / "broken"
    assert discovery_start([str(EXAMPLES / "broken"), str(EXAMPLES / "correct" / "rum-web.yaml")]) == EXAMPLES


@pytest.mark.parametrize("text, may", [
    ('[project]\nname = "app"\n', False),
    ('[project]\nname = "rumpolicy"\ndependencies = ["rumpolicy>=0.1", "x"]\n', False),
    ('[project]\ndependencies = [\n    "rumpolicy>=0.1",\n]\n', True),      # no `=` before it: maybe, so parsed
    ('[project]\nname = "rumpolicy"\n', False),
    ('[tool.rumpolicy]\nfail-on = "error"\n', True),
    ('[ tool . "rumpolicy" ]\n', True),
    ('[tool]\nrumpolicy.fail-on = "error"\n', True),
    ('[tool]\nx = 1\nrumpolicy = { fail-on = "error" }\n', True),
    ('tool = { rumpolicy = { fail-on = "error" } }\n', True),
    ('[tool."rumpolic\\u0079"]\n', True),
    ('[[tool.rumpolicy]]\n', True),
])
def test_a_pyproject_is_parsed_whenever_it_may_hold_the_table(text, may):
    from rumpolicy.config import _may_define_table

    assert _may_define_table(text) is may
    if not may:
        import tomllib

        assert "rumpolicy" not in tomllib.loads(text).get("tool", {})
