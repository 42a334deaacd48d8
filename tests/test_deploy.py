"""deploy/: the AWS Config rule as code, and its Lambda package (rumpolicy.aws_config.package).

The templates pass the real cfn-lint (with rumpolicy's plugin) and ``rumpolicy check``; the roles in
the CloudFormation templates and the Terraform modules grant exactly the actions of
``rumpolicy.aws_config.allowed`` for each scope and Security Hub setting; the Terraform is formatted;
and the package builds byte-identically twice and imports the handler with nothing but its own files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import hcl2
import pytest
from cfnlint.decode import cfn_yaml

from rumpolicy.aws_config import package
from rumpolicy.aws_config.allowed import ALLOWED_OPERATIONS, MEMBER_ROLE_OPERATIONS, SECURITY_HUB_EXPORT, iam_actions

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
RULE_TEMPLATE = DEPLOY / "cloudformation" / "rumpolicy-config-rule.yaml"
MEMBER_TEMPLATE = DEPLOY / "cloudformation" / "rumpolicy-config-member-role.yaml"
TERRAFORM = DEPLOY / "terraform"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"

READ = frozenset(iam_actions(ALLOWED_OPERATIONS))
MEMBER = frozenset(iam_actions(MEMBER_ROLE_OPERATIONS))
EXPORT = frozenset(iam_actions(SECURITY_HUB_EXPORT))
ASSUME = frozenset({"sts:AssumeRole"})
LOGS = frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})
# The only actions IAM cannot scope to a resource (or, for organizations, to a resource the rule can
# name in advance): every other action is granted on this account's ARNs.
UNSCOPABLE = frozenset({"rum:ListAppMonitors", "iam:GetAccountAuthorizationDetails", "organizations:DescribeOrganization",
                        "organizations:DescribePolicy", "organizations:ListParents",
                        "organizations:ListPoliciesForTarget", "config:GetComplianceDetailsByResource",
                        "config:GetResourceConfigHistory", "config:PutEvaluations"})
# A member role reads no service control policy: the function reads those with its own credentials.
MEMBER_UNSCOPABLE = frozenset(action for action in UNSCOPABLE if not action.startswith("organizations:"))
COMBINATIONS = [(scope, export) for scope in ("Account", "Organization") for export in (False, True)]


def execution_actions(scope: str, export: bool) -> frozenset[str]:
    """What the function's own role grants: the allowed list, sts:AssumeRole only for the organization rule."""
    granted = READ | LOGS | (EXPORT if export else frozenset())
    return granted if scope == "Organization" else granted - ASSUME


def member_actions(export: bool) -> frozenset[str]:
    return MEMBER | (EXPORT if export else frozenset())


def test_the_expected_sets_are_not_empty():
    # A guard for the comparisons below: they would pass vacuously on an empty allowed list.
    assert "config:PutEvaluations" in READ and "sts:AssumeRole" in READ and EXPORT
    assert MEMBER < READ and not any(action.startswith(("organizations:", "sts:")) for action in MEMBER)


# --- linters --------------------------------------------------------------------------------------------

def test_cfn_lint_reports_nothing_on_the_templates():
    proc = subprocess.run([str(CFN_LINT), "--append-rules", "rumpolicy.cfnlint_plugin", "--",
                           str(RULE_TEMPLATE), str(MEMBER_TEMPLATE)], capture_output=True, text=True, cwd=ROOT)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_rumpolicy_checks_deploy_and_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "rumpolicy", "check", "--format", "json", "deploy"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] == []
    expected = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.tf"))
    assert report["summary"]["files"] == {"checked": len(expected), "not_recognized": 0, "unreadable": 0,
                                          "failed": 0}


def test_terraform_is_formatted():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH: `terraform fmt -check` was not run")
    proc = subprocess.run([terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


# --- CloudFormation: the roles' actions -------------------------------------------------------------------

NO_VALUE = object()


def _condition(name: str, template: dict, parameters: dict) -> bool:
    return _value(template["Conditions"][name], template, parameters)


def _value(node, template: dict, parameters: dict):
    """Evaluate the condition functions, Fn::If and Ref to parameters; leave other functions as they are."""
    if isinstance(node, list):
        items = (_value(item, template, parameters) for item in node)
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, arg), = node.items()
        if key == "Ref" and arg == "AWS::NoValue":
            return NO_VALUE
        if key == "Ref" and arg in template.get("Parameters", {}):
            return parameters.get(arg, template["Parameters"][arg].get("Default"))
        if key == "Fn::Equals":
            left, right = (_value(x, template, parameters) for x in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not _value(arg[0], template, parameters)
        if key == "Fn::And":
            return all(_value(x, template, parameters) for x in arg)
        if key == "Fn::Or":
            return any(_value(x, template, parameters) for x in arg)
        if key == "Condition":
            return _condition(arg, template, parameters)
        if key == "Fn::Join":
            parts = _value(arg[1], template, parameters)
            return arg[0].join(parts) if isinstance(parts, list) and all(isinstance(p, str) for p in parts) else node
        if key == "Fn::If":
            chosen = arg[1] if _condition(arg[0], template, parameters) else arg[2]
            return _value(chosen, template, parameters)
    out = {}
    for key, value in node.items():
        value = _value(value, template, parameters)
        if value is not NO_VALUE:
            out[key] = value
    return out


def _resolved(path: Path, parameters: dict) -> dict:
    template = cfn_yaml.load(str(path))
    resources = {}
    for name, resource in template["Resources"].items():
        if "Condition" in resource and not _condition(resource["Condition"], template, parameters):
            continue
        resources[name] = _value(resource, template, parameters)
    return resources


def _statements(role: dict) -> list[dict]:
    return [statement for policy in role["Properties"]["Policies"] for statement in policy["PolicyDocument"]["Statement"]]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _granted(statements: list[dict]) -> frozenset[str]:
    assert all(statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
               for statement in statements)
    return frozenset(action for statement in statements for action in _as_list(statement["Action"]))


def _on_any_resource(statements: list[dict]) -> frozenset[str]:
    return frozenset(action for statement in statements if "*" in _as_list(statement["Resource"])
                     for action in _as_list(statement["Action"]))


@pytest.mark.parametrize("scope, export", COMBINATIONS)
def test_the_execution_role_grants_exactly_the_allowed_actions(scope, export):
    resources = _resolved(RULE_TEMPLATE, {"Scope": scope, "ExportToSecurityHub": str(export).lower(),
                                          "OrganizationId": "o-abcdefghij"})
    statements = _statements(resources["ExecutionRole"])
    granted = _granted(statements)
    assert granted == execution_actions(scope, export)
    assert not any("*" in action or "?" in action for action in granted)
    assert _on_any_resource(statements) == UNSCOPABLE
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert by_sid["OwnLogs"]["Resource"] == {"Fn::GetAtt": ["LogGroup", "Arn"]}
    if scope == "Organization":
        assume = by_sid["AssumeMemberRole"]
        assert assume["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}
        assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-abcdefghij"}}


@pytest.mark.parametrize("scope, export", COMBINATIONS)
def test_the_rule_and_the_permission_follow_the_scope(scope, export):
    resources = _resolved(RULE_TEMPLATE, {"Scope": scope, "ExportToSecurityHub": str(export).lower()})
    rule = "OrganizationConfigRule" if scope == "Organization" else "ConfigRule"
    assert {"ConfigRule", "OrganizationConfigRule"} & set(resources) == {rule}
    assert resources[rule]["DependsOn"] == "ConfigPermission"
    permission = resources["ConfigPermission"]["Properties"]
    assert permission["Principal"] == "config.amazonaws.com"
    # An account rule: only this account's Config may invoke. An organization rule: every member's Config.
    assert permission.get("SourceAccount") == (None if scope == "Organization" else {"Ref": "AWS::AccountId"})
    variables = resources["Function"]["Properties"]["Environment"]["Variables"]
    assert variables["RUMPOLICY_SECURITY_HUB"] == str(export).lower()
    assert ("RUMPOLICY_MEMBER_ROLE_NAME" in variables) == (scope == "Organization")
    assert resources["Function"]["Properties"]["Handler"] == "rumpolicy.aws_config.handler"


@pytest.mark.parametrize("export", [False, True])
def test_the_member_role_grants_exactly_the_allowed_actions_and_trusts_only_the_function(export):
    resources = _resolved(MEMBER_TEMPLATE, {"ExportToSecurityHub": str(export).lower(),
                                            "ExecutionRoleArn": "arn:aws:iam::111111111111:role/x"})
    role = resources["MemberRole"]
    statements = _statements(role)
    assert _granted(statements) == member_actions(export)
    assert _on_any_resource(statements) == MEMBER_UNSCOPABLE
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/x"}, "Action": "sts:AssumeRole"}]


# --- Terraform: the policy documents' actions -------------------------------------------------------------

def _unquoted(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquoted(item) for item in value]
    if isinstance(value, dict):
        return {_unquoted(key): _unquoted(item) for key, item in value.items() if key != "__is_block__"}
    return value


def _parsed(module: Path) -> list[dict]:
    parsed = []
    for path in sorted(module.glob("*.tf")):
        with path.open() as handle:
            parsed.append(_unquoted(hcl2.load(handle)))
    return parsed


def _policy_documents(module: Path) -> dict[str, dict]:
    return {name: body for parsed in _parsed(module) for block in parsed.get("data", [])
            for name, body in block.get("aws_iam_policy_document", {}).items()}


def _blocks(module: Path, kind: str) -> dict[str, dict]:
    """The module's ``module`` or ``output`` blocks, by name."""
    return {name: body for parsed in _parsed(module) for block in parsed.get(kind, []) for name, body in block.items()}


# The switches a document's `count` may name, and the setting each stands for.
COUNTS = {"${var.export_to_security_hub ? 1 : 0}": "export", "${local.organization ? 1 : 0}": "organization"}


def _statements_of(module: Path, expression: str, settings: dict) -> list[dict]:
    """The statements a policy expression grants: the documents it names (``data.aws_iam_policy_document.X.json``,
    ``[*].json`` for one with a ``count``), each with its ``source_policy_documents``, and the output of a module
    it names (``module.X.json``), read in that module with the variables the call passes."""
    statements = []
    for name, body in _policy_documents(module).items():
        reference = f"data.aws_iam_policy_document.{name}"
        if f"{reference}.json" not in expression and f"{reference}[*].json" not in expression:
            continue
        if "count" in body:
            assert f"{reference}[*].json" in expression
            if not settings[COUNTS[body["count"]]]:
                continue
        statements.extend(body.get("statement", []))
        if "source_policy_documents" in body:
            statements.extend(_statements_of(module, body["source_policy_documents"], settings))
    for name, call in _blocks(module, "module").items():
        if f"module.{name}.json" not in expression:
            continue
        inner = (module / call["source"]).resolve()
        assert call["export_to_security_hub"] == "${var.export_to_security_hub}"
        statements.extend(_statements_of(inner, _blocks(inner, "output")["json"]["value"], settings))
    return statements


def _terraform_granted(module: Path, policy: str, *, export: bool, organization: bool) -> tuple[frozenset, list]:
    """What the role policy resource ``policy`` of ``module`` grants, with these settings."""
    (body,) = [block["aws_iam_role_policy"][policy] for parsed in _parsed(module) for block in parsed.get("resource", [])
               if policy in block.get("aws_iam_role_policy", {})]
    statements = _statements_of(module, body["policy"], {"export": export, "organization": organization})
    assert statements
    assert all(statement.get("effect", "Allow") == "Allow" and "not_actions" not in statement
               and "not_resources" not in statement for statement in statements)
    return frozenset(action for statement in statements for action in statement["actions"]), statements


@pytest.mark.parametrize("scope, export", COMBINATIONS)
def test_the_terraform_execution_role_grants_exactly_the_allowed_actions(scope, export):
    granted, statements = _terraform_granted(TERRAFORM, "execution", export=export,
                                             organization=scope == "Organization")
    assert granted == execution_actions(scope, export)
    assert frozenset(action for statement in statements if "*" in statement["resources"]
                     for action in statement["actions"]) == UNSCOPABLE
    (assume,) = [s for s in statements if "sts:AssumeRole" in s["actions"]] or [None]
    if scope == "Organization":
        assert assume["resources"] == ["arn:${local.partition}:iam::*:role/${var.member_role_name}"]
        assert assume["condition"] == [{"test": "StringEquals", "variable": "aws:ResourceOrgID",
                                        "values": ["${var.organization_id}"]}]


def test_the_terraform_scope_switch_names_the_organization():
    (local,) = [block for block in _unquoted(hcl2.load((TERRAFORM / "main.tf").open()))["locals"]]
    assert local["organization"] == '${var.scope == "organization"}'


@pytest.mark.parametrize("export", [False, True])
def test_the_terraform_member_role_grants_exactly_the_allowed_actions(export):
    granted, statements = _terraform_granted(TERRAFORM / "member-role", "member", export=export, organization=False)
    assert granted == member_actions(export)
    assert frozenset(action for statement in statements if "*" in statement["resources"]
                     for action in statement["actions"]) == MEMBER_UNSCOPABLE
    trust = _policy_documents(TERRAFORM / "member-role")["trust"]["statement"]
    assert trust == [{"actions": ["sts:AssumeRole"],
                      "principals": [{"type": "AWS", "identifiers": ["${var.execution_role_arn}"]}]}]


# --- the Lambda package -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Without boto3, once through the API and once through the command (~2 s each); with boto3 once."""
    out = tmp_path_factory.mktemp("package")
    first = package.build(out / "a.zip", boto3=False)
    proc = subprocess.run([sys.executable, "-m", "rumpolicy.aws_config.package", str(out / "b.zip"), "--no-boto3"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    here = package.running_target()
    assert f"deploy it with Runtime={here.runtime} Architecture={here.architecture}" in proc.stdout
    full = package.build(out / "full.zip")
    return first, out / "b.zip", full


def test_the_package_is_deterministic(built):
    first, second, _ = built
    assert first.path.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {package.FIXED_TIME}
    # The bytecode is the package's own, one pyc for the running interpreter per module: none installed ones.
    tag = sys.implementation.cache_tag
    pycs = {name for name in names if name.endswith(".pyc")}
    assert pycs and all(name.endswith(f".{tag}.pyc") and "/__pycache__/" in f"/{name}" for name in pycs)
    sources = {name for name in names if name.endswith(".py")}
    assert {name for name in sources if package._cache_name(name) not in pycs} <= set(UNCOMPILABLE)


# Sources that installed distributions ship but that are not Python of this version (never imported).
UNCOMPILABLE: tuple[str, ...] = ()


def test_without_compile_the_package_holds_no_bytecode(tmp_path):
    built = package.build(tmp_path / "plain.zip", boto3=False, compile_bytecode=False)
    with zipfile.ZipFile(built.path) as archive:
        assert not any("__pycache__" in name or name.endswith(".pyc") for name in archive.namelist())


def test_the_bytecode_is_what_the_import_system_uses(built, tmp_path):
    """Unchecked hash-based pycs: imported without compiling, even when the source beside them is changed."""
    first, _, _ = built
    with zipfile.ZipFile(first.path) as archive:
        archive.extractall(tmp_path)
    allowed = tmp_path / "rumpolicy" / "aws_config" / "allowed.py"
    allowed.write_text(allowed.read_text() + "\nraise RuntimeError('the source was compiled, not the pyc used')\n")
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import rumpolicy.aws_config.allowed as m; "
            "assert m.__cached__.endswith('.pyc')")
    proc = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_package_holds_rumpolicy_its_rules_and_its_dependencies(built):
    first, _, full = built
    with zipfile.ZipFile(first.path) as archive:
        names = set(archive.namelist())
    assert {"rumpolicy/aws_config/__init__.py", "rumpolicy/aws_config/allowed.py", "rumpolicy/rules/__init__.py",
            "rumpolicy/iam/data/service-operations.json.gz", "rumpolicy/schemas/config.schema.json",
            "yaml/__init__.py", "jsonschema/__init__.py", "hcl2/__init__.py", "lark/__init__.py",
            "tree_sitter/__init__.py"} <= names
    assert any(name.startswith("rumpolicy/rules/trust/") and name.endswith(".py") for name in names)
    assert not any(name.startswith(("boto3/", "botocore/", "pytest/", "cfnlint/")) for name in names)
    with zipfile.ZipFile(full.path) as archive:
        full_names = set(archive.namelist())
    assert {"boto3/__init__.py", "botocore/__init__.py", "s3transfer/__init__.py", "jmespath/__init__.py",
            "dateutil/__init__.py", "six.py", "urllib3/__init__.py"} <= full_names
    assert not any(name.startswith(("cfnlint/", "moto/", "pytest/")) for name in full_names)
    # Lambda's limit for a zip uploaded directly is 50 MB.
    assert full.size < 50_000_000, full.size


def test_the_packaged_handler_imports_with_nothing_but_the_package(built, tmp_path):
    first, _, _ = built
    with zipfile.ZipFile(first.path) as archive:
        archive.extractall(tmp_path)
    # -I: no environment or user site; -S: no site-packages either. Only the standard library and the zip.
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import rumpolicy.aws_config as m; "
            "assert callable(m.handler); import rumpolicy; assert rumpolicy.__file__.startswith(sys.path[0])")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_the_package_refuses_a_runtime_its_compiled_extensions_do_not_fit(tmp_path):
    here = package.running_target()
    other = next(runtime for runtime in package.RUNTIMES if runtime != here.runtime)
    with pytest.raises(package.PackagingError, match=r"rpds-py .*cp3\d+-cp3\d+"):
        package.build(tmp_path / "x.zip", boto3=False, target=package.Target(other, here.architecture))
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize("tag, runtime, architecture, fits", [
    ("cp311-cp311-manylinux_2_17_x86_64", "python3.11", "x86_64", True),
    ("cp311-cp311-manylinux2014_x86_64", "python3.11", "x86_64", True),
    ("cp311-cp311-manylinux_2_17_x86_64", "python3.12", "x86_64", False),     # another Python's ABI
    ("cp311-cp311-manylinux_2_17_x86_64", "python3.11", "arm64", False),      # another machine
    ("cp311-cp311-manylinux_2_28_x86_64", "python3.11", "x86_64", False),     # newer glibc than Amazon Linux 2's
    ("cp311-cp311-manylinux_2_28_x86_64", "python3.12", "x86_64", False),
    ("cp312-cp312-manylinux_2_28_x86_64", "python3.12", "x86_64", True),      # Amazon Linux 2023: glibc 2.34
    ("cp312-cp312-manylinux_2_35_x86_64", "python3.12", "x86_64", False),
    ("cp310-abi3-manylinux_2_17_aarch64", "python3.13", "arm64", True),       # the stable ABI: 3.10 and later
    ("cp312-abi3-manylinux_2_17_x86_64", "python3.11", "x86_64", False),
    ("cp311-cp311-linux_x86_64", "python3.11", "x86_64", False),              # built here: no portable tag
    ("cp311-cp311-manylinux_2_28_x86_64.manylinux_2_17_x86_64", "python3.11", "x86_64", True),
])
def test_a_wheel_tag_fits_a_lambda_runtime(tag, runtime, architecture, fits):
    assert package._tag_fits(tag, package.Target(runtime, architecture)) is fits


@pytest.mark.parametrize("scope", ["Account", "Organization"])
def test_the_scheduled_evaluation_can_be_switched_off(scope):
    """MaximumExecutionFrequency Off: changes only (docs/scale.md: the daily run is most of what remains to pay)."""
    for frequency, scheduled in (("TwentyFour_Hours", True), ("Off", False)):
        resources = _resolved(RULE_TEMPLATE, {"Scope": scope, "MaximumExecutionFrequency": frequency,
                                              "OrganizationId": "o-abcdefghij"})
        if scope == "Account":
            details = resources["ConfigRule"]["Properties"]["Source"]["SourceDetails"]
            types = [detail["MessageType"] for detail in details]
            frequencies = [detail.get("MaximumExecutionFrequency") for detail in details]
        else:
            metadata = resources["OrganizationConfigRule"]["Properties"]["OrganizationCustomRuleMetadata"]
            types = metadata["OrganizationConfigRuleTriggerTypes"]
            frequencies = [metadata.get("MaximumExecutionFrequency")]
        assert ("ScheduledNotification" in types) is scheduled
        assert ("TwentyFour_Hours" in frequencies) is scheduled
        assert types[:2] == ["ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification"]


def test_the_terraform_scheduled_evaluation_follows_the_same_switch():
    (local,) = [block for block in _unquoted(hcl2.load((TERRAFORM / "main.tf").open()))["locals"]]
    assert local["scheduled"] == '${var.maximum_execution_frequency != "Off"}'
    text = (TERRAFORM / "main.tf").read_text()
    assert 'for_each = local.scheduled ? [var.maximum_execution_frequency] : []' in text
    assert 'local.scheduled ? ["ScheduledNotification"] : []' in text
