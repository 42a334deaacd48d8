"""The ready-made CI pieces: the GitHub Action (``action.yml``), the GitLab CI template
(``ci/gitlab/rumpolicy.gitlab-ci.yml``) and the ``Dockerfile``.

Each is checked against its consumer's documented format, and then run as far as this machine can:

- ``action.yml`` against GitHub's metadata syntax for composite actions (the constraints are written
  down in ``ACTION_*`` below, from docs.github.com, "Metadata syntax reference"); then its steps in
  order, as the runner would: ``${{ }}`` expressions evaluated, each ``run`` script given to
  ``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``) with ``GITHUB_OUTPUT`` and
  ``GITHUB_STEP_SUMMARY`` files, the ``uses`` steps recorded rather than run. The only stand-in is the
  Python that actions/setup-python would provide: its ``-m venv`` makes an environment whose pip records
  what it was asked to install and whose ``rumpolicy`` is the one under test.
- the GitLab template against GitLab's job keywords (docs.gitlab.com, "CI/CD YAML syntax reference"),
  then its script, with a ``python`` whose ``-m pip install`` is recorded; the Code Quality report it
  writes is validated against GitLab's documented format ("Code Quality", "Implement a custom tool").
- the Dockerfile by a lint written here (known instructions, a tagged base, a non-root user, exec-form
  entry point, COPY sources that exist and that .dockerignore does not exclude), and built and run where
  a Docker engine answers (skipped otherwise, with the reason).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
RUMPOLICY = BIN / "rumpolicy"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
EXAMPLES = ROOT / "examples"


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def readme_section(title: str) -> str:
    return (ROOT / "README.md").read_text("utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def repository(tmp_path: Path, files: dict[str, Path]) -> Path:
    """A checkout with these example files at these places."""
    workspace = tmp_path / "workspace"
    for name, source in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, workspace / name)
    return workspace


BROKEN = {"infra/rum-shop.yaml": EXAMPLES / "broken" / "rum-shop.yaml"}
CORRECT = {"infra/rum-web.yaml": EXAMPLES / "correct" / "rum-web.yaml"}
INFO_ONLY = {"infra/rum-blog.yaml": EXAMPLES / "basic-flow" / "rum-blog.yaml"}      # one info finding


# --- action.yml: the metadata syntax ----------------------------------------------------------------

ACTION = ROOT / "action.yml"
# docs.github.com/actions/reference/workflows-and-actions/metadata-syntax
ACTION_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
ACTION_REQUIRED = {"name", "description", "runs"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")          # inputs.<input_id>, outputs.<output_id>
# runs.steps[*]: `run` steps or `uses` steps; `shell` is required if `run` is set.
RUN_STEP_KEYS = {"run", "shell", "if", "name", "id", "env", "working-directory", "continue-on-error"}
USES_STEP_KEYS = {"uses", "with", "if", "name", "id", "env", "continue-on-error"}
# jobs.<job_id>.steps[*].shell: the documented shells (or a custom `command {0}`).
SHELLS = {"bash", "pwsh", "python", "sh", "cmd", "powershell"}
BRANDING_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# The inputs of the actions this one uses, from their own action.yml: a `with` key outside them is a typo.
USED_ACTIONS = {
    "actions/setup-python@v5": {"python-version", "python-version-file", "cache", "architecture", "check-latest",
                                "token", "cache-dependency-path", "update-environment", "allow-prereleases",
                                "freethreaded"},
    "github/codeql-action/upload-sarif@v3": {"sarif_file", "checkout_path", "ref", "sha", "token", "matrix",
                                             "category", "wait-for-processing"},
}


def action() -> dict:
    return load_yaml(ACTION)


def expressions(value) -> list[str]:
    if isinstance(value, str):
        return [e.strip() for e in EXPRESSION.findall(value)]
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return []


def test_action_metadata_follows_the_documented_syntax():
    meta = action()
    assert ACTION.name == "action.yml"
    assert set(meta) <= ACTION_KEYS and ACTION_REQUIRED <= set(meta), set(meta) ^ ACTION_KEYS
    assert isinstance(meta["name"], str) and isinstance(meta["description"], str)
    assert meta["branding"]["color"] in BRANDING_COLORS and isinstance(meta["branding"]["icon"], str)
    for name, spec in meta["inputs"].items():
        assert ID.match(name) and name == name.lower(), name
        assert set(spec) <= INPUT_KEYS and isinstance(spec["description"], str), name
        assert isinstance(spec.get("required", False), bool), name
        # Inputs are strings: an unquoted `true` or `3.11` would be read as another type by YAML.
        assert "default" not in spec or isinstance(spec["default"], str), name
    for name, spec in meta["outputs"].items():
        assert ID.match(name) and set(spec) == {"description", "value"}, name      # composite: `value` required
    runs = meta["runs"]
    assert set(runs) == {"using", "steps"} and runs["using"] == "composite"
    ids = [step["id"] for step in runs["steps"] if "id" in step]
    assert len(ids) == len(set(ids)) and all(ID.match(i) for i in ids)
    for step in runs["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert set(step) <= RUN_STEP_KEYS and step["shell"] in SHELLS, step
        else:
            assert set(step) <= USES_STEP_KEYS, step
            assert step["uses"] in USED_ACTIONS, step["uses"]          # pinned to a version (`@v5`)
            assert set(step.get("with", {})) <= USED_ACTIONS[step["uses"]], step
            assert EXPRESSION.search(step["uses"]) is None             # `uses` takes no expression
        assert isinstance(step.get("name"), str), step


def test_action_expressions_name_only_what_exists():
    meta = action()
    inputs = set(meta["inputs"])
    earlier: set[str] = set()
    for step in meta["runs"]["steps"]:
        # No expression inside a script: an input's value would become shell code. They go through `env`.
        assert "run" not in step or EXPRESSION.search(step["run"]) is None, step["name"]
        for expression in expressions(step) + ([step["if"]] if "if" in step else []):
            for ref in re.findall(r"\b(inputs|steps|github|runner|env|job|matrix|secrets)\.([\w-]+)", expression):
                assert ref[0] in ("inputs", "steps", "github"), expression
                if ref[0] == "inputs":
                    assert ref[1] in inputs, expression
                if ref[0] == "steps":
                    assert ref[1] in earlier, expression              # a step that ran before this one
        if "run" in step:
            # Every variable of ours that the script reads is set by the step's `env`.
            used = set(re.findall(r"\$\{?(RUMPOLICY(?:_[A-Z_]+)?)\b", step["run"]))
            assert used <= set(step.get("env", {})), (step["name"], used - set(step.get("env", {})))
        if "id" in step:
            earlier.add(step["id"])
    for output in meta["outputs"].values():
        for expression in expressions(output["value"]):
            assert re.fullmatch(r"steps\.([\w-]+)\.outputs\.[\w-]+", expression)
            assert expression.split(".")[1] in earlier
    declared = {name for name in inputs}
    used = {ref for step in meta["runs"]["steps"] for e in expressions(step) + [step.get("if", "")]
            for ref in re.findall(r"\binputs\.([\w-]+)", e)}
    assert used == declared, declared ^ used                          # every input is used


# --- action.yml: its steps, run ------------------------------------------------------------------------

class Expressions:
    """GitHub's expression language, as far as action.yml uses it: contexts, string literals, `==`, `!=`,
    `&&`, `||`, `!`, parentheses and the status functions. Strings compare ignoring case, as GitHub's do."""

    TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|&&|\|\||!|\(|\))|'(?P<str>(?:[^']|'')*)'|(?P<name>[A-Za-z_][\w.-]*))")

    def __init__(self, contexts: dict, failed: bool) -> None:
        self.contexts, self.failed = contexts, failed

    def evaluate(self, text: str):
        self.tokens = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = self.TOKEN.match(text, position)
            assert match and match.end() > position, f"cannot read {text[position:]!r}"
            self.tokens.append(match)
            position = match.end()
        self.at = 0
        value = self.either()
        assert self.at == len(self.tokens), text
        return value

    def peek(self, op: str) -> bool:
        return self.at < len(self.tokens) and self.tokens[self.at]["op"] == op

    def either(self):
        value = self.both()
        while self.peek("||"):
            self.at += 1
            right = self.both()
            value = value if self.truthy(value) else right
        return value

    def both(self):
        value = self.compare()
        while self.peek("&&"):
            self.at += 1
            right = self.compare()
            value = right if self.truthy(value) else value
        return value

    def compare(self):
        left = self.unary()
        for op in ("==", "!="):
            if self.peek(op):
                self.at += 1
                right = self.unary()
                same = str(left if left is not None else "").lower() == str(right if right is not None else "").lower()
                return same if op == "==" else not same
        return left

    def unary(self):
        if self.peek("!"):
            self.at += 1
            return not self.truthy(self.unary())
        token = self.tokens[self.at]
        self.at += 1
        if token["op"] == "(":
            value = self.either()
            assert self.peek(")")
            self.at += 1
            return value
        if token["str"] is not None:
            return token["str"].replace("''", "'")
        name = token["name"]
        if self.peek("("):
            self.at += 2
            return {"always": True, "success": not self.failed, "failure": self.failed, "cancelled": False}[name]
        if name in ("true", "false"):
            return name == "true"
        value = self.contexts
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    @staticmethod
    def truthy(value) -> bool:
        return value not in (None, False, "", 0)

    def substitute(self, text: str) -> str:
        def one(match):
            value = self.evaluate(match.group(1))
            return "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        return EXPRESSION.sub(one, text)


def scalar(value) -> str:
    """A YAML value as the runner hands it over: a string (`false` is "false")."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@dataclass
class ActionRun:
    status: int                                  # the action's: its first failing step's exit status, else 0
    outputs: dict[str, str]
    logs: dict[str, str] = field(default_factory=dict)           # each run step's output, by name
    skipped: list[str] = field(default_factory=list)
    used: list[dict] = field(default_factory=list)               # the `uses` steps that would run, with their `with`
    summary: str = ""
    installed: list[str] = field(default_factory=list)           # what pip was asked to install


STAND_IN_PYTHON = """#!/usr/bin/env bash
# actions/setup-python's Python, standing in: `-m venv DIR` makes an environment whose pip only records
# its arguments and whose `rumpolicy` is the one under test.
set -eu
[ "$1 $2" = "-m venv" ] || exit 64
mkdir -p "$3/bin"
printf '#!/usr/bin/env bash\\necho "$*" >> %(log)s\\n' > "$3/bin/python"
chmod +x "$3/bin/python"
ln -s %(rumpolicy)s "$3/bin/rumpolicy"
"""


def run_action(tmp_path: Path, workspace: Path, *, python_script: str = STAND_IN_PYTHON, **given: str) -> ActionRun:
    """Run the action's steps on ``workspace`` with these inputs (the others at their defaults)."""
    meta = action()
    inputs = {name: spec.get("default", "") for name, spec in meta["inputs"].items()}
    assert set(given) <= set(inputs), set(given) - set(inputs)
    inputs.update(given)
    temp = tmp_path / "runner-temp"
    temp.mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    python = tmp_path / "setup-python" / "python"
    python.parent.mkdir()
    python.write_text(python_script % {"log": shlex.quote(str(pip_log)), "rumpolicy": shlex.quote(str(RUMPOLICY))})
    python.chmod(0o755)
    steps: dict[str, dict] = {}
    contexts = {"inputs": inputs, "steps": steps, "github": {"action_path": str(ROOT), "workspace": str(workspace)}}
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8", "GITHUB_ACTIONS": "true",
           "RUNNER_TEMP": str(temp), "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(ROOT)}
    result = ActionRun(0, {})
    summaries = []
    for number, step in enumerate(meta["runs"]["steps"]):
        name = step["name"]
        evaluate = Expressions(contexts, failed=result.status != 0)
        # A step without `if` runs only while every step before it succeeded (`success()`).
        if not Expressions.truthy(evaluate.evaluate(step.get("if", "success()"))):
            result.skipped.append(name)
            if "id" in step:
                steps[step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue
        outputs: dict[str, str] = {}
        if "uses" in step:
            result.used.append({"uses": step["uses"], **{k: evaluate.substitute(scalar(v))
                                                         for k, v in step.get("with", {}).items()}})
            if step["uses"].startswith("actions/setup-python@"):
                outputs["python-path"] = str(python)
            outcome = "success"
        else:
            script = tmp_path / f"step-{number}.sh"
            script.write_text(step["run"])
            output_file, summary_file = temp / f"output-{number}", temp / f"summary-{number}"
            output_file.touch()
            summary_file.touch()
            step_env = {**env, **{k: evaluate.substitute(scalar(v)) for k, v in step.get("env", {}).items()},
                        "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary_file)}
            assert step["shell"] == "bash"
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                  env=step_env, capture_output=True, text=True, timeout=120)
            result.logs[name] = proc.stdout + proc.stderr
            for line in output_file.read_text().splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
            summaries.append(summary_file.read_text())
            outcome = "success" if proc.returncode == 0 else "failure"
            if proc.returncode != 0 and result.status == 0:
                result.status = proc.returncode
        if "id" in step:
            steps[step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
    evaluate = Expressions(contexts, failed=result.status != 0)
    result.outputs = {name: evaluate.substitute(spec["value"]) for name, spec in meta["outputs"].items()}
    result.summary = "".join(summaries)
    result.installed = pip_log.read_text().splitlines() if pip_log.exists() else []
    return result


def sarif_rules(path: Path) -> set[str]:
    log = json.loads(path.read_text("utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "rumpolicy"
    return {result["ruleId"] for result in log["runs"][0]["results"]}


def test_the_action_reports_then_fails_with_the_findings(tmp_path):
    workspace = repository(tmp_path, BROKEN)
    run = run_action(tmp_path, workspace)
    assert run.status == 1 and run.outputs["exit-code"] == "1"
    # Installed from the action's own checkout, in an environment of its own.
    assert run.installed == [f"-m pip install --quiet --disable-pip-version-check {ROOT}"]
    assert run.used[0] == {"uses": "actions/setup-python@v5", "python-version": "3.11", "update-environment": "false"}
    # The reports are written although the check fails: SARIF uploaded, the summary, annotations.
    assert sarif_rules(workspace / "rumpolicy.sarif") == {"RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-004",
                                                          "RUM-PERM-005"}
    assert run.outputs["sarif-file"] == "rumpolicy.sarif"
    assert run.used[1] == {"uses": "github/codeql-action/upload-sarif@v3", "sarif_file": "rumpolicy.sarif",
                           "category": "rumpolicy"}
    assert run.summary.startswith("# rumpolicy report") and "| error | RUM-TRUST-002 |" in run.summary
    log = run.logs["Check with rumpolicy"]
    assert "::error file=infra/rum-shop.yaml,line=25,col=13,title=RUM-TRUST-002::" in log
    assert "infra/rum-shop.yaml:36:17: warning RUM-PERM-004" in log                 # the text report, readable
    assert run.skipped == []
    assert "exited with status 1" in run.logs["Exit with rumpolicy's status"]


def test_the_action_passes_a_clean_repository(tmp_path):
    workspace = repository(tmp_path, CORRECT)
    run = run_action(tmp_path, workspace)
    assert run.status == 0 and run.outputs["exit-code"] == "0"
    assert sarif_rules(workspace / "rumpolicy.sarif") == set()
    assert [u["uses"] for u in run.used] == ["actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
    assert run.summary.startswith("# rumpolicy report")


@pytest.mark.parametrize("fail_on, status", [("", 0), ("warning", 0), ("info", 1)])
def test_the_action_fails_on_the_severity_asked(tmp_path, fail_on, status):
    run = run_action(tmp_path, repository(tmp_path, INFO_ONLY), **{"fail-on": fail_on})
    assert run.status == status and run.outputs["exit-code"] == str(status)


def test_the_action_inputs_reach_rumpolicy(tmp_path):
    files = {**BROKEN, "web/rum-web.yaml": EXAMPLES / "correct" / "rum-web.yaml",
             "legacy/rum-shop.yaml": EXAMPLES / "broken" / "rum-shop.yaml"}
    workspace = repository(tmp_path, files)
    again = run_action(tmp_path, workspace, paths="infra\nweb", version="0.1.0", annotate="false",
                       **{"upload-sarif": "false", "sarif-file": "out/rum.sarif", "args": "--ignore RUM-PERM-004"})
    # Not `legacy/`; RUM-PERM-004 ignored; the SARIF file's folder made.
    assert again.status == 1
    assert again.installed == ["-m pip install --quiet --disable-pip-version-check rumpolicy==0.1.0"]
    assert sarif_rules(workspace / "out" / "rum.sarif") == {"RUM-POOL-002", "RUM-TRUST-002", "RUM-PERM-005"}
    assert not re.search(r"^::(error|warning|notice) ", again.logs["Check with rumpolicy"], re.M)   # no annotations
    assert "Upload SARIF to code scanning" in again.skipped
    assert "legacy/" not in again.summary and "infra/rum-shop.yaml" in again.summary


def test_a_usage_error_fails_the_action_without_uploading(tmp_path):
    workspace = repository(tmp_path, BROKEN)
    run = run_action(tmp_path, workspace, args="--no-such-option", version="rumpolicy>=0.1,<0.2")
    assert run.installed == ["-m pip install --quiet --disable-pip-version-check rumpolicy>=0.1,<0.2"]
    assert run.status == 2 and run.outputs == {"exit-code": "2", "sarif-file": ""}
    assert not (workspace / "rumpolicy.sarif").exists()
    assert run.skipped == ["Upload SARIF to code scanning"]
    assert "rumpolicy wrote no report" in run.summary


def test_a_failed_install_skips_the_rest(tmp_path):
    """With no rumpolicy to run there is no exit status to report: the install step's failure is the action's."""
    workspace = repository(tmp_path, BROKEN)
    failed = run_action(tmp_path, workspace, python_script="#!/usr/bin/env bash\n# %(log)s %(rumpolicy)s\nexit 7\n")
    assert failed.status == 7 and failed.outputs["exit-code"] == ""
    assert failed.skipped == ["Check with rumpolicy", "Write the job summary", "Upload SARIF to code scanning",
                              "Exit with rumpolicy's status"]


# --- the GitLab CI template ---------------------------------------------------------------------------

GITLAB = ROOT / "ci" / "gitlab" / "rumpolicy.gitlab-ci.yml"
# docs.gitlab.com/ci/yaml: the keywords of a job, and of `artifacts`.
GITLAB_JOB_KEYS = {"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
                   "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity", "id_tokens",
                   "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel",
                   "release", "resource_group", "retry", "rules", "script", "secrets", "services", "stage", "tags",
                   "timeout", "trigger", "variables", "when"}
GITLAB_ARTIFACT_KEYS = {"paths", "exclude", "expire_in", "expose_as", "name", "public", "access", "reports",
                        "untracked", "when"}
GITLAB_DEFAULT_STAGES = {".pre", "build", "test", "deploy", ".post"}
# docs.gitlab.com/ci/testing/code_quality: "an array of objects with the following properties".
CODE_QUALITY_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def gitlab_job() -> dict:
    template = load_yaml(GITLAB)
    assert list(template) == ["rumpolicy"]            # one job, no global keywords imposed on the includer
    return template["rumpolicy"]


def reported(script: list[str], format_: str) -> str:
    """The file a script line writes the --format report to."""
    words = shlex.split(next(line for line in script if line.startswith("rumpolicy check")))
    return words[words.index(format_) + 2] if words[words.index(format_) + 1] == "-o" else "-"


def test_gitlab_template_uses_gitlabs_keywords():
    assert GITLAB.name.endswith(".yml")               # `include: remote` needs a .yml or .yaml file
    job = gitlab_job()
    assert set(job) <= GITLAB_JOB_KEYS, set(job) - GITLAB_JOB_KEYS
    assert job["stage"] in GITLAB_DEFAULT_STAGES and job["image"] == "python:3.11-slim"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in job["variables"].items())
    assert isinstance(job["script"], list) and all(isinstance(line, str) for line in job["script"])
    artifacts = job["artifacts"]
    assert set(artifacts) <= GITLAB_ARTIFACT_KEYS and artifacts["when"] == "always"
    assert artifacts["reports"] == {"codequality": reported(job["script"], "gitlab"),
                                    "junit": reported(job["script"], "junit")}
    # Findings fail the job; the template says how to let exit status 1 pass (`allow_failure: exit_codes`).
    assert job["allow_failure"] is False
    assert re.search(r"allow_failure:\n#\s+exit_codes: \[1\]", GITLAB.read_text("utf-8"))
    # The release this template belongs to.
    assert job["variables"]["RUMPOLICY_REQUIREMENT"] == f"rumpolicy=={VERSION}"


def run_gitlab(tmp_path: Path, workspace: Path, **variables: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """The job's script as the runner runs it: one bash session, stopping at the first failing line."""
    job = gitlab_job()
    stand_in = tmp_path / "bin"
    stand_in.mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    (stand_in / "python").write_text(
        "#!/usr/bin/env bash\n# the image's Python: `-m pip install` only records what it was asked\n"
        f'if [ "$1 $2 $3" = "-m pip install" ]; then echo "$*" >> {shlex.quote(str(pip_log))}; exit 0; fi\n'
        f'exec {shlex.quote(sys.executable)} "$@"\n')
    (stand_in / "python").chmod(0o755)
    (stand_in / "rumpolicy").symlink_to(RUMPOLICY)
    env = {"PATH": f"{stand_in}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "CI": "true",
           "GITLAB_CI": "true", "CI_PROJECT_DIR": str(workspace), **job["variables"], **variables}
    script = "set -eo pipefail\n" + "\n".join(job["script"]) + "\n"
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc, pip_log.read_text().splitlines() if pip_log.exists() else []


def assert_code_quality(path: Path, workspace: Path) -> list[dict]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")        # "The GitLab parser does not allow a byte order mark"
    issues = json.loads(raw)
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in CODE_QUALITY_SEVERITIES
        where = issue["location"]["path"]
        assert not where.startswith(("/", "./")) and ".." not in where.split("/") and (workspace / where).is_file()
        begin = issue["location"]["lines"]["begin"]
        assert isinstance(begin, int) and begin >= 1
    # Issues with one fingerprint show as one in the merge request widget.
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    return issues


def test_gitlab_job_reports_code_quality_and_fails_on_findings(tmp_path):
    workspace = repository(tmp_path, BROKEN)
    proc, installed = run_gitlab(tmp_path, workspace)
    assert installed == [f"-m pip install --quiet rumpolicy=={VERSION}"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "infra/rum-shop.yaml:25:13: error RUM-TRUST-002" in proc.stdout           # the text report in the log
    issues = assert_code_quality(workspace / "gl-code-quality-report.json", workspace)
    assert {(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues} == {
        ("RUM-POOL-002", "infra/rum-shop.yaml", 12), ("RUM-TRUST-002", "infra/rum-shop.yaml", 25),
        ("RUM-PERM-005", "infra/rum-shop.yaml", 35), ("RUM-PERM-004", "infra/rum-shop.yaml", 36)}
    suites = ElementTree.parse(workspace / "rumpolicy-junit.xml").getroot()
    assert suites.tag == "testsuites" and int(suites.get("failures")) >= 3


def test_gitlab_job_passes_a_clean_repository_and_takes_its_variables(tmp_path):
    workspace = repository(tmp_path, {**CORRECT, **INFO_ONLY})
    proc, _ = run_gitlab(tmp_path, workspace)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [i["check_name"] for i in assert_code_quality(workspace / "gl-code-quality-report.json", workspace)] == [
        "RUM-POOL-002"]
    proc, _ = run_gitlab(tmp_path / "again", workspace, RUMPOLICY_PATHS="infra/rum-web.yaml",
                         RUMPOLICY_ARGS="--fail-on info")
    assert proc.returncode == 0 and assert_code_quality(workspace / "gl-code-quality-report.json", workspace) == []
    proc, _ = run_gitlab(tmp_path / "third", workspace, RUMPOLICY_ARGS="--fail-on info")
    assert proc.returncode == 1


# --- Dockerfile ---------------------------------------------------------------------------------------

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
# docs.docker.com/reference/dockerfile: every instruction (MAINTAINER is deprecated: LABEL instead).
INSTRUCTIONS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in DOCKERFILE.read_text("utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instruction, _, arguments = (pending + line).strip().partition(" ")
        out.append((instruction.upper(), arguments.strip()))
        pending = ""
    assert not pending
    return out


def dockerignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` out of the build context: its patterns are matched (Go's
    filepath.Match, plus ``**``) against the path from the context root and each of its parents;
    the last matching pattern decides, ``!`` ones keeping the path in."""
    patterns = [line.strip() for line in DOCKERIGNORE.read_text("utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]

    def regex(pattern: str) -> re.Pattern:
        parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))
        translated = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
        return re.compile("".join(translated.get(p, re.escape(p)) for p in parts) + r"\Z")

    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        if any(regex(pattern.lstrip("!")).match(prefix) for prefix in prefixes):
            excluded = not keep
    return excluded


def test_dockerfile_lint():
    instructions = dockerfile()
    assert {name for name, _ in instructions} <= INSTRUCTIONS
    bases = [args for name, args in instructions if name == "FROM"]
    assert bases == ["python:3.11-slim"]                         # one stage, a tagged base (never `latest`)
    assert all(":" in base.split("/")[-1] and not base.endswith(":latest") for base in bases)
    assert all(not re.search(r"https?://", args) for name, args in instructions if name == "ADD")
    users = [args for name, args in instructions if name == "USER"]
    # The last USER is by number (a runtime can then tell it is not root), not 0, and made by `useradd`.
    assert users and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]), users
    run = " ".join(args for name, args in instructions if name == "RUN")
    assert re.search(rf"useradd --uid {users[-1].split(':')[0]} --user-group\b", run)
    assert re.search(r"pip install --no-cache-dir \.", run)
    for name in ("ENTRYPOINT", "CMD"):
        (args,) = [a for n, a in instructions if n == name]
        assert isinstance(json.loads(args), list), f"{name} in exec form"     # signals reach rumpolicy
    assert json.loads(dict(instructions)["ENTRYPOINT"]) == ["rumpolicy"]
    assert json.loads(dict(instructions)["CMD"]) == ["check", "."]
    workdirs = [args for name, args in instructions if name == "WORKDIR"]
    assert all(w.startswith("/") for w in workdirs) and workdirs[-1] == "/src"


def test_dockerfile_copies_what_the_package_build_reads():
    copied = set()
    for name, args in dockerfile():
        if name == "COPY":
            words = [w for w in shlex.split(args) if not w.startswith("--")]
            assert "--from" not in args
            for source in words[:-1]:
                assert (ROOT / source).exists(), source
                assert not dockerignored(source), f"{source} is excluded by .dockerignore"
                copied.add(source.rstrip("/"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    needed = {"pyproject.toml", "setup.py", project["readme"], *project.get("license-files", ()), "rumpolicy", "rules"}
    assert needed <= copied, needed - copied
    # What the context leaves out: the virtual environment, history, tests, earlier builds.
    for left_out in (".venv/bin/python", ".git/HEAD", "tests/conftest.py", "build/lib", "rumpolicy.egg-info/PKG-INFO",
                     "rumpolicy/__pycache__/cli.cpython-311.pyc"):
        assert dockerignored(left_out), left_out
    assert not dockerignored("rumpolicy/cli.py") and not dockerignored("rules/trust/__init__.py")


def test_dockerignore_matcher():
    """The matcher above, on Docker's documented examples."""
    assert dockerignored("tests") and dockerignored("tests/a/b.py") and not dockerignored("rumpolicy/tests/x.py")
    assert dockerignored("a/b/__pycache__/c.pyc") and dockerignored("x.pyc")            # `**/` may match nothing
    assert dockerignored("rumpolicy.egg-info") and not dockerignored("src/rumpolicy.egg-info")


def docker_engine() -> str | None:
    """Why no image can be built here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "no docker client"
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker info failed: {exc}"
    return None if proc.returncode == 0 else f"no Docker engine answers `docker info`: {proc.stderr.strip()[:200]}"


def test_the_image_builds_and_checks_a_mounted_repository(tmp_path):
    reason = docker_engine()
    if reason is not None:
        pytest.skip(reason)
    tag = f"rumpolicy-test:{os.getpid()}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    try:
        workspace = repository(tmp_path, BROKEN)
        workspace.chmod(0o755)
        run = subprocess.run(["docker", "run", "--rm", "-v", f"{workspace}:/src:ro", tag], capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 1 and "infra/rum-shop.yaml:25:13: error RUM-TRUST-002" in run.stdout, run.stderr
        user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True,
                              text=True, timeout=120)
        assert user.stdout.strip() not in ("", "0")
        version = subprocess.run(["docker", "run", "--rm", tag, "--version"], capture_output=True, text=True,
                                 timeout=120)
        assert version.stdout.strip() == f"rumpolicy {VERSION}"
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)


# --- the README's sections ---------------------------------------------------------------------------

def test_readme_github_workflow_uses_this_action_with_its_inputs():
    blocks = [yaml.safe_load(b) for b in yaml_blocks(readme_section("GitHub Actions"))]
    uses = [(step, workflow) for workflow in blocks for job in workflow["jobs"].values() for step in job["steps"]
            if step.get("uses", "").startswith("rumpolicy/rumpolicy@")]
    assert uses, "the section shows the action"
    inputs = action()["inputs"]
    for step, workflow in uses:
        assert step["uses"] == f"rumpolicy/rumpolicy@v{VERSION}"
        assert set(step.get("with", {})) <= set(inputs)
        steps = next(job["steps"] for job in workflow["jobs"].values() if step in job["steps"])
        assert steps[0]["uses"].startswith("actions/checkout@")                  # the files to check
        assert workflow["permissions"]["security-events"] == "write"             # the SARIF upload
    section = readme_section("GitHub Actions")
    for name in inputs:
        assert f"`{name}`" in section, f"the README describes the input {name}"


def test_readme_gitlab_section_includes_this_template():
    section = readme_section("GitLab CI")
    blocks = [yaml.safe_load(b) for b in yaml_blocks(section)]
    job = gitlab_job()
    included = {entry["remote"] for block in blocks for entry in block.get("include", ())}
    assert included == {f"https://raw.githubusercontent.com/rumpolicy/rumpolicy/v{VERSION}/"
                        f"{GITLAB.relative_to(ROOT).as_posix()}"}
    assert f"`RUMPOLICY_REQUIREMENT` (default `{job['variables']['RUMPOLICY_REQUIREMENT']}`)" in section
    for block in blocks:
        for key, value in block.items():
            if key == "rumpolicy":                     # an override of the template's job
                assert set(value) <= GITLAB_JOB_KEYS
                assert set(value.get("variables", {})) <= set(job["variables"])


def test_readme_docker_section_runs_the_image_as_built():
    section = readme_section("Docker")
    assert "docker build -t rumpolicy" in section and 'docker run --rm -v "$PWD:/src" rumpolicy' in section
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.index("\n## GitLab CI\n") < readme.index("\n## Docker\n") < readme.index("\n## cfn-lint\n")


def test_readme_cfn_lint_section_installs_the_extra():
    section = readme_section("cfn-lint")
    assert "pip install 'rumpolicy[cfn-lint]'" in section
    assert "cfn-lint" in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    # The commands and the .cfnlintrc.yaml are run by tests/test_cfnlint_plugin.py.
