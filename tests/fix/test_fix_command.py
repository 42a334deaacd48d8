"""`rumpolicy fix` from the command line: examples/broken becomes a stack `check` passes, by span edits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rumpolicy.load.source import parse_text

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "examples" / "broken" / "rum-shop.yaml"
COMMENT = "      # The monitor hands out snippets with guestRoleArn (basic flow), but the classic flow is off.\n"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    target = tmp_path / "rum-shop.yaml"
    shutil.copyfile(BROKEN, target)
    return target


def test_fix_turns_the_broken_example_into_one_check_passes(cli, shop: Path) -> None:
    result = cli("fix", str(shop), "--no-config")
    assert result.status == 1                      # the unsafe RUM-PERM-004 fix is left, and said so
    assert "fixed 3 findings (RUM-POOL-002, RUM-TRUST-002, RUM-PERM-005)" in result.out
    assert "RUM-PERM-004 not fixed: unsafe fix available (--unsafe-fixes)" in result.out
    text = shop.read_text("utf-8")
    assert COMMENT in text
    assert "cognito-identity.amazonaws.com:aud: !Ref ShopIdentityPool\n" in text
    assert cli("check", str(shop), "--no-config").status == 0
    assert cli("fix", str(shop), "--no-config", "--unsafe-fixes").status == 0
    check = cli("check", str(shop), "--no-config", "--format", "json").json()
    assert [f["rule_id"] for f in check["findings"]] == []
    once = shop.read_bytes()
    again = cli("fix", str(shop), "--no-config", "--unsafe-fixes")
    assert again.status == 0 and "nothing to fix" in again.out
    assert shop.read_bytes() == once


def test_a_value_the_input_gives_by_reference_is_written_by_reference(cli, shop: Path) -> None:
    # The monitor's name comes from a parameter: the fixed Resource names the monitor, not the default.
    text = shop.read_text("utf-8").replace("      Name: shop-example-com\n", "      Name: !Ref MonitorName\n")
    text = text.replace("Resources:\n", "Parameters:\n  MonitorName:\n    Type: String\n    Default: shop-example-com\n"
                                        "Resources:\n", 1)
    shop.write_text(text, "utf-8")
    assert cli("fix", str(shop), "--no-config", "--unsafe-fixes").status == 0
    fixed = shop.read_text("utf-8")
    assert ('Resource: !Sub "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${ShopAppMonitor}"'
            in fixed) and "appmonitor/shop-example-com" not in fixed
    assert cli("check", str(shop), "--no-config").status == 0


def test_diff_changes_nothing_and_reproduces_the_fix(cli, shop: Path, tmp_path: Path) -> None:
    original = shop.read_bytes()
    result = cli("fix", str(shop), "--no-config", "--diff")
    assert result.status == 1
    assert shop.read_bytes() == original
    assert result.out.startswith(f"--- {shop}\n+++ {shop}\n@@ ")
    if shutil.which("patch") is None:
        pytest.skip("no patch program")
    copy = tmp_path / "copy.yaml"
    shutil.copyfile(shop, copy)
    subprocess.run(["patch", "-s", str(copy)], input=result.out, text=True, check=True)
    cli("fix", str(shop), "--no-config")
    assert copy.read_bytes() == shop.read_bytes()


def test_check_exit_codes(cli, shop: Path) -> None:
    original = shop.read_bytes()
    assert cli("fix", str(shop), "--no-config", "--check").status == 1
    assert shop.read_bytes() == original
    cli("fix", str(shop), "--no-config", "--unsafe-fixes")
    assert cli("fix", str(shop), "--no-config", "--check").status == 0


def test_json_template(cli, tmp_path: Path) -> None:
    data = parse_text(BROKEN.read_text("utf-8"), "x").data
    target = tmp_path / "rum-shop.json"
    target.write_text(json.dumps(data, indent=4) + "\n", "utf-8")
    result = cli("fix", str(target), "--no-config", "--unsafe-fixes")
    assert result.status == 0, result.out
    text = target.read_text("utf-8")
    assert json.loads(text)["Resources"]["ShopGuestRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Condition"]["StringEquals"] == {"cognito-identity.amazonaws.com:aud": {"Ref": "ShopIdentityPool"}}
    assert "\n" + " " * 32 + "\"StringEquals\": {\n" + " " * 36 + "\"cognito" in text     # 4-space indentation
    assert cli("check", str(target), "--no-config").status == 0


def test_file_that_cannot_be_edited_is_left_byte_for_byte_and_reported(cli, tmp_path: Path) -> None:
    target = tmp_path / "rum-shop.yaml"
    target.write_bytes(BROKEN.read_bytes().replace(b"\n", b"\r\n"))
    original = target.read_bytes()
    result = cli("fix", str(target), "--no-config")
    assert result.status == 1
    assert target.read_bytes() == original
    assert f"{target}: left unchanged: CRLF line endings" in result.out


def test_fix_that_does_not_verify_leaves_the_file_unchanged(cli, shop: Path, monkeypatch) -> None:
    from rumpolicy.fix import verify

    monkeypatch.setattr(verify, "_verdict", lambda before, fixed, after: "it would report RUM-TEST-000 (made up)")
    original = shop.read_bytes()
    result = cli("fix", str(shop), "--no-config")
    assert result.status == 1
    assert shop.read_bytes() == original
    assert "left unchanged: it would report RUM-TEST-000 (made up)" in result.out


def test_terraform_json_findings_are_reported_not_skipped(cli, tmp_path: Path) -> None:
    """`.tf` files are edited (tests/fix/test_fix_terraform.py); Terraform's JSON syntax is not yet."""
    folder = tmp_path / "tf"
    shutil.copytree(ROOT / "fixtures" / "inputs" / "terraform" / "json-syntax", folder)
    original = (folder / "main.tf.json").read_bytes()
    result = cli("fix", str(folder), "--no-config")
    assert result.status == 1
    assert "not fixed: no automatic fix for this format yet" in result.out
    assert (folder / "main.tf.json").read_bytes() == original


def test_missing_path_is_a_usage_error(cli, tmp_path: Path) -> None:
    assert cli("fix", str(tmp_path / "nope.yaml")).status == 2
