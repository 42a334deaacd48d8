"""`rumpolicy fix` for RUM-POOL-003, RUM-ATT-001 and RUM-ATT-003, and the new blocks of Terraform edits: a
`condition` block in an `aws_iam_policy_document` statement, a resource block at the end of the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import hcl2
import pytest

from rumpolicy.api import check
from rumpolicy.cli import main
from rumpolicy.findings import Location, Span
from rumpolicy.fix.apply import apply_patches
from rumpolicy.fix.nodes import Unfixable
from rumpolicy.fix.terraform_text import TerraformDocument
from rumpolicy.model.messages import PRECISE, SetPath
from rumpolicy.model.symbols import ATTR, REF, token

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "fixtures" / "rules"
DATA = ROOT / "tests" / "data" / "fix"
AUD = "cognito-identity.amazonaws.com:aud"
TRUST = '''data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    condition {
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = ["us-east-1:00000000-0000-0000-0000-000000000000"]
    }
  }
  statement { actions = ["rum:PutRumEvents"] }
}

resource "aws_iam_role" "guest" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
'''


def _precise(path: Path, rule_id: str) -> list:
    return [e for f in check([str(path)]).findings if f.rule_id == rule_id for e in f.fix if isinstance(e, PRECISE)]


def _fix(tmp_path: Path, source: Path, *options: str, capsys) -> tuple[str, str]:
    target = tmp_path / source.name
    if target != source:
        shutil.copy(source, target)
    main(["fix", str(target), "--no-config", *options])
    return target.read_text("utf-8"), capsys.readouterr().out


# ----------------------------------------------------------------------------- RUM-POOL-003

def test_classic_flow_is_turned_off_only_with_unsafe_fixes(tmp_path: Path, capsys) -> None:
    """A monitor outside the input may use the basic flow: turning it off is unsafe."""
    source = RULES / "RUM-POOL-003" / "bad.yaml"
    text, out = _fix(tmp_path, source, capsys=capsys)
    assert text == source.read_text("utf-8")
    assert "RUM-POOL-003 not fixed: unsafe fix available (--unsafe-fixes)" in out
    text, out = _fix(tmp_path, source, "--unsafe-fixes", capsys=capsys)
    assert "      AllowClassicFlow: false\n" in text and "fixed 1 finding (RUM-POOL-003)" in out


# ----------------------------------------------------------------------------- RUM-ATT-001

def test_missing_attachment_is_written_as_a_new_resource(tmp_path: Path, capsys) -> None:
    text, out = _fix(tmp_path, RULES / "RUM-ATT-001" / "bad-basic.yaml", capsys=capsys)
    assert text.endswith("        GuestRoleArn: !GetAtt GuestRole.Arn\n"
                         "  RumPoolRoles:\n"
                         "    Type: AWS::Cognito::IdentityPoolRoleAttachment\n"
                         "    Properties:\n"
                         "      IdentityPoolId: !Ref RumPool\n"
                         "      Roles:\n"
                         "        unauthenticated: !GetAtt GuestRole.Arn\n")
    assert "fixed 1 finding (RUM-ATT-001)" in out


def test_missing_attachment_in_json_template(tmp_path: Path, capsys) -> None:
    import json

    import yaml


    tree = yaml.safe_load((RULES / "RUM-ATT-001" / "bad-basic.yaml").read_text("utf-8").replace("!Ref RumPool",
                          '{"Ref": "RumPool"}').replace("!GetAtt GuestRole.Arn", '{"Fn::GetAtt": ["GuestRole", "Arn"]}')
                          .replace("!Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}",
                                   '{"Fn::Sub": "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/${Monitor}"}'))
    source = tmp_path / "in" / "bad.json"
    source.parent.mkdir()
    source.write_text(json.dumps(tree, indent=2) + "\n", "utf-8")
    text, out = _fix(tmp_path, source, capsys=capsys)
    added = json.loads(text)["Resources"]["RumPoolRoles"]
    assert added == {"Type": "AWS::Cognito::IdentityPoolRoleAttachment",
                     "Properties": {"IdentityPoolId": {"Ref": "RumPool"},
                                    "Roles": {"unauthenticated": {"Fn::GetAtt": ["GuestRole", "Arn"]}}}}
    assert "fixed 1 finding (RUM-ATT-001)" in out


@pytest.mark.parametrize("name", ["bad-no-guest-role.yaml", "bad-no-guest-role.tf", "bad-missing.tf"])
def test_no_role_named_is_advice_only(name: str) -> None:
    """No monitor names a guest role: which role to attach is not guessed."""
    assert _precise(RULES / "RUM-ATT-001" / name, "RUM-ATT-001") == []


def test_several_named_roles_are_advice_only(tmp_path: Path) -> None:
    text = (RULES / "RUM-ATT-001" / "bad.yaml").read_text("utf-8")
    marker = "  Blog:\n"
    other = text[text.index("  GuestRole:\n"):text.index("  Shop:\n")].replace("  GuestRole:\n", "  OtherRole:\n")
    text = text.replace(marker, other + marker).replace(
        "        IdentityPoolId: !Ref RumPool\n    \n", "")
    text = text[:text.rindex("IdentityPoolId: !Ref RumPool")] + (
        "IdentityPoolId: !Ref RumPool\n        GuestRoleArn: !GetAtt OtherRole.Arn\n")
    target = tmp_path / "two.yaml"
    target.write_text(text, "utf-8")
    found = [f for f in check([str(target)]).findings if f.rule_id == "RUM-ATT-001"]
    assert found and not [e for f in found for e in f.fix if isinstance(e, PRECISE)]


def test_new_attachment_block_in_terraform(tmp_path: Path, capsys) -> None:
    text, out = _fix(tmp_path, RULES / "RUM-ATT-001" / "bad.tf", capsys=capsys)
    assert text.endswith('\n\nresource "aws_cognito_identity_pool_roles_attachment" "rum" {\n'
                         "  identity_pool_id = aws_cognito_identity_pool.rum.id\n"
                         "  roles            = { unauthenticated = aws_iam_role.guest.arn }\n}\n")
    hcl2.loads(text)
    again = _fix(tmp_path, tmp_path / "bad.tf", capsys=capsys)[1]
    assert "RUM-ATT-001" not in again


def test_new_block_is_refused_when_the_name_is_taken() -> None:
    text = 'resource "aws_cognito_identity_pool_roles_attachment" "rum" {\n  identity_pool_id = "x"\n}\n'
    edit = SetPath(Location("main.tf", "/resource", None), ("aws_cognito_identity_pool_roles_attachment", "rum"),
                   {"identity_pool_id": "y"})
    with pytest.raises(Unfixable, match="already has a resource"):
        TerraformDocument(text).patches(edit)
    out = apply_patches("# empty", TerraformDocument("# empty").patches(
        SetPath(Location("main.tf", "/resource", None), ("aws_x", "y"), {"a": "b"})))
    assert out == '# empty\n\nresource "aws_x" "y" {\n  a = "b"\n}\n'


# ----------------------------------------------------------------------------- RUM-ATT-003

def test_attachment_is_pointed_at_the_monitors_pool_only_with_unsafe_fixes(tmp_path: Path, capsys) -> None:
    source = RULES / "RUM-ATT-003" / "bad.tf"
    text, out = _fix(tmp_path, source, capsys=capsys)
    assert "RUM-ATT-003 not fixed: unsafe fix available (--unsafe-fixes)" in out
    text, out = _fix(tmp_path, source, "--unsafe-fixes", capsys=capsys)
    assert "  identity_pool_id = aws_cognito_identity_pool.rum.id\n  roles = {\n    unauthenticated" in text


# ----------------------------------------------------------------------------- condition blocks

def _statement(text: str, line: int, path: tuple[str, ...], tree: object) -> str:
    edit = SetPath(Location("main.tf", "/resource/aws_iam_role/guest/assume_role_policy/Statement/0",
                            Span(line, 3)), path, tree)
    out = apply_patches(text, TerraformDocument(text).patches(edit))
    hcl2.loads(out)
    return out


def test_condition_block_with_that_test_and_variable_gets_its_values_replaced() -> None:
    out = _statement(TRUST, 2, ("Condition", "StringEquals", AUD), token(REF, "aws_cognito_identity_pool.web.id"))
    assert '      values   = [aws_cognito_identity_pool.web.id]\n' in out and out.count("condition {") == 1


def test_condition_block_is_added_at_the_statements_end() -> None:
    out = _statement(TRUST, 2, ("Condition", "ForAnyValue:StringLike", "cognito-identity.amazonaws.com:amr"),
                     "unauthenticated")
    assert ('    }\n    condition {\n      test     = "ForAnyValue:StringLike"\n'
            '      variable = "cognito-identity.amazonaws.com:amr"\n      values   = ["unauthenticated"]\n'
            '    }\n  }\n') in out


@pytest.mark.parametrize("line,path,why", [
    (10, ("Condition", "StringEquals", AUD), "one line"),
    (2, ("Resource",), "only a `condition`"),
])
def test_what_a_statement_block_does_not_take_says_why(line: int, path: tuple[str, ...], why: str) -> None:
    with pytest.raises(Unfixable, match=why):
        _statement(TRUST, line, path, "x")


def test_cli_adds_condition_blocks_to_a_policy_document(tmp_path: Path, capsys) -> None:
    text, out = _fix(tmp_path, DATA / "tf-policy-document-condition.tf", capsys=capsys)
    assert "fixed 2 findings (RUM-TRUST-002, RUM-TRUST-003)" in out
    assert ('    }\n    condition {\n      test     = "StringEquals"\n'
            '      variable = "cognito-identity.amazonaws.com:aud"\n'
            '      values   = [aws_cognito_identity_pool.web.id]\n    }\n') in text
    assert '      values   = ["unauthenticated"]\n    }\n  } # the only statement\n' in text
    hcl2.loads(text)
    assert not [f for f in check([str(tmp_path / "tf-policy-document-condition.tf")]).findings
                if f.rule_id.startswith("RUM-TRUST")]


def test_a_statement_without_a_span_is_not_guessed() -> None:
    with pytest.raises(Unfixable, match="aws_iam_policy_document"):
        TerraformDocument(TRUST).patches(
            SetPath(Location("main.tf", "/resource/aws_iam_role/guest/assume_role_policy/Statement/0", None),
                    ("Condition", "StringEquals", AUD), token(ATTR, "aws_cognito_identity_pool.web.id")))
