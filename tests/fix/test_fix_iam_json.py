"""`rumpolicy fix` on bare IAM policies: literal values only (a bare policy refers to nothing), written
by span, the file's indentation and key order kept; a value the input does not know is reported."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rumpolicy.findings import Location
from rumpolicy.fix.apply import Document, apply_patches
from rumpolicy.fix.nodes import Unfixable
from rumpolicy.model.messages import ReplaceNode, SetPath
from rumpolicy.model.symbols import OPAQUE, token

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "fix" / "iam"
MONITOR = "arn:aws:rum:us-east-1:123456789012:appmonitor/storefront-web"
POOL = "us-east-1:0f2c7d8e-1a2b-4c3d-9e8f-0123456789ab"
AUD = "cognito-identity.amazonaws.com:aud"
POLICIES = ("trust-policy.json", "permissions.json")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A trust policy (amr missing) and a permission policy (`rum:*` on `*`), checked for --app-monitor MONITOR."""
    target = tmp_path / "policies"
    target.mkdir()
    for name in POLICIES:
        shutil.copyfile(DATA / name, target / name)
    return target


def _expected(name: str) -> bytes:
    return (DATA / name.replace(".json", ".fixed.json")).read_bytes()


def _rule_ids(cli, *args: str) -> list[str]:
    report = cli("check", *args, "--no-config", "--format", "json").json()
    return sorted(f["rule_id"] for f in report["findings"])


def test_fix_then_check_is_clean_and_a_second_fix_changes_nothing(cli, folder: Path) -> None:
    assert _rule_ids(cli, str(folder), "--app-monitor", MONITOR) == ["RUM-PERM-004", "RUM-PERM-005", "RUM-TRUST-003"]
    result = cli("fix", str(folder), "--no-config", "--unsafe-fixes", "--app-monitor", MONITOR)
    assert result.status == 0, result.out
    assert f"{folder / 'permissions.json'}: fixed 2 findings (RUM-PERM-004, RUM-PERM-005)" in result.out
    assert f"{folder / 'trust-policy.json'}: fixed 1 finding (RUM-TRUST-003)" in result.out
    for name in POLICIES:                 # indentation (2 and 4 spaces) and key order as written
        assert (folder / name).read_bytes() == _expected(name), name
    assert _rule_ids(cli, str(folder), "--app-monitor", MONITOR) == []
    again = cli("fix", str(folder), "--no-config", "--unsafe-fixes", "--app-monitor", MONITOR)
    assert again.status == 0 and "nothing to fix" in again.out
    for name in POLICIES:
        assert (folder / name).read_bytes() == _expected(name), name


def test_safe_fixes_only_without_unsafe_fixes(cli, folder: Path) -> None:
    result = cli("fix", str(folder), "--no-config", "--app-monitor", MONITOR)
    assert result.status == 1
    assert f"{folder / 'permissions.json'}: fixed 1 finding (RUM-PERM-005)" in result.out
    assert "permissions.json:5:13: RUM-PERM-004 not fixed: unsafe fix available (--unsafe-fixes)" in result.out
    statement = json.loads((folder / "permissions.json").read_text("utf-8"))["Statement"][0]
    assert (statement["Action"], statement["Resource"]) == (["rum:PutRumEvents"], "*")
    assert _rule_ids(cli, str(folder), "--app-monitor", MONITOR) == ["RUM-PERM-004"]


def test_diff_writes_nothing_and_applies_with_patch(cli, folder: Path, tmp_path: Path) -> None:
    originals = {name: (folder / name).read_bytes() for name in POLICIES}
    result = cli("fix", str(folder), "--no-config", "--unsafe-fixes", "--app-monitor", MONITOR, "--diff")
    assert result.status == 1
    assert {name: (folder / name).read_bytes() for name in POLICIES} == originals
    assert f"--- {folder / 'permissions.json'}\n+++ {folder / 'permissions.json'}\n@@ " in result.out
    if shutil.which("patch") is None:
        pytest.skip("no patch program")
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    diff = result.out.replace(str(folder), str(copy))
    subprocess.run(["patch", "-s", "-p0"], input=diff, text=True, check=True, cwd="/")
    for name in POLICIES:
        assert (copy / name).read_bytes() == _expected(name), name


def test_monitor_arn_not_known_is_reported_and_the_resource_left(cli, folder: Path) -> None:
    """Without --app-monitor no monitor ARN is known: `Resource: *` stays; the action is still narrowed."""
    result = cli("fix", str(folder / "permissions.json"), "--no-config", "--unsafe-fixes")
    assert result.status == 1
    assert ("permissions.json:5:13: RUM-PERM-004 not fixed: the value <the ARN of the app monitor the role serves> "
            "is not known in the input") in result.out
    statement = json.loads((folder / "permissions.json").read_text("utf-8"))["Statement"][0]
    assert (statement["Action"], statement["Resource"]) == (["rum:PutRumEvents"], "*")


def test_pool_id_not_known_is_reported_and_the_file_left_byte_for_byte(cli, tmp_path: Path) -> None:
    """A bare trust policy names no pool, and the input links none to it: `aud` cannot be written."""
    target = tmp_path / "trust-policy-without-aud.json"
    shutil.copyfile(DATA / target.name, target)
    original = target.read_bytes()
    result = cli("fix", str(target), "--no-config", "--unsafe-fixes")
    assert result.status == 1
    assert ("trust-policy-without-aud.json:4:9: RUM-TRUST-002 not fixed: the value <the id of the identity pool "
            "whose guests assume the role> is not known in the input") in result.out
    assert target.read_bytes() == original
    assert cli("fix", str(target), "--no-config", "--check").status == 1


def test_app_monitors_of_the_configuration(cli, folder: Path) -> None:
    (folder / ".rumpolicy.yaml").write_text(f"app-monitors:\n  - {MONITOR}\n", "utf-8")
    result = cli("fix", str(folder), "--unsafe-fixes")
    assert result.status == 0, result.out
    assert (folder / "permissions.json").read_bytes() == _expected("permissions.json")


def test_invalid_app_monitor_is_a_usage_error(cli, folder: Path) -> None:
    result = cli("fix", str(folder), "--no-config", "--app-monitor", "arn:aws:rum:us-east-1:123:appmonitor/x")
    assert result.status == 2
    assert "--app-monitor" in result.err and "12-digit account id" in result.err


def test_yaml_policy_keeps_its_comment(cli, tmp_path: Path) -> None:
    source = ROOT / "fixtures" / "inputs" / "iam" / "guest-role-wildcard-permissions.yaml"
    target = tmp_path / source.name
    shutil.copyfile(source, target)
    monitor = "arn:aws:rum:us-east-1:123456789012:appmonitor/web"
    result = cli("fix", str(target), "--no-config", "--unsafe-fixes", "--app-monitor", monitor)
    assert result.status == 0, result.out
    assert target.read_text("utf-8") == source.read_text("utf-8").replace(
        'Action: "rum:*"', 'Action: "rum:PutRumEvents"').replace('Resource: "*"', f'Resource: "{monitor}"')


# --- the edits themselves: literal JSON at the root pointers of a bare policy --------------------------

def _at(pointer: str) -> Location:
    return Location("trust.json", pointer)


def test_aud_inserted_as_a_literal_with_the_file_indentation() -> None:
    """The pool id, where the input knows it, is written as JSON text at `/Statement/0` (the edit of RUM-TRUST-002)."""
    text = (DATA / "trust-policy-without-aud.json").read_text("utf-8")
    document = Document(text, True, literal=True)
    out = apply_patches(text, document.patches(SetPath(_at("/Statement/0"), ("Condition", "StringEquals", AUD),
                                                       POOL)))
    assert json.loads(out)["Statement"][0]["Condition"] == {"StringEquals": {AUD: POOL}}
    assert out == text.replace(
        '"Action": "sts:AssumeRoleWithWebIdentity"\n',
        '"Action": "sts:AssumeRoleWithWebIdentity",\n'
        '            "Condition": {\n'
        '                "StringEquals": {\n'
        f'                    "{AUD}": "{POOL}"\n'
        '                }\n'
        '            }\n')


def test_several_values_are_a_json_list() -> None:
    text = (DATA / "permissions.json").read_text("utf-8")
    document = Document(text, True, literal=True)
    arns = [MONITOR, MONITOR.replace("storefront-web", "checkout-web")]
    out = apply_patches(text, document.patches(ReplaceNode(_at("/Statement/0/Resource"), arns)))
    assert json.loads(out)["Statement"][0]["Resource"] == arns


@pytest.mark.parametrize("value", [
    token(OPAQUE, "region of x"),
    f"arn:aws:rum:{token(OPAQUE, 'region of x')}:123456789012:appmonitor/web",
    [POOL, token(OPAQUE, "pool id")],
], ids=["token", "in-a-string", "in-a-list"])
def test_a_value_with_a_token_is_not_written_into_a_bare_policy(value) -> None:
    text = (DATA / "trust-policy.json").read_text("utf-8")
    with pytest.raises(Unfixable, match="is not known in the input"):
        Document(text, True, literal=True).patches(
            SetPath(_at("/Statement/0"), ("Condition", "StringEquals", AUD), value))


def test_amr_admitting_only_authenticated_becomes_unauthenticated_in_a_one_line_policy(cli, tmp_path: Path) -> None:
    """RUM-TRUST-003's other edit (the value replaced), in a policy written on one line: only the value changes."""
    statement = {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {AUD: POOL},
                               "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}
    target = tmp_path / "trust.json"
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]}) + "\n"
    target.write_text(text, "utf-8")
    result = cli("fix", str(target), "--no-config")
    assert result.status == 0, result.out
    assert target.read_text("utf-8") == text.replace('"authenticated"', '"unauthenticated"')
    assert _rule_ids(cli, str(target)) == []
