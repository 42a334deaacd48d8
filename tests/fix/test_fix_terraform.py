"""`rumpolicy fix` on Terraform: edits by span in HCL (attributes, `jsonencode({...})`, heredoc JSON,
`aws_iam_policy_document` values), written as the file writes values, the file still parsing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from rumpolicy.findings import Location, Span
from rumpolicy.fix.apply import apply_patches
from rumpolicy.fix.hcl_spans import hcl_nodes
from rumpolicy.fix.nodes import Unfixable
from rumpolicy.fix.terraform_text import TerraformDocument
from rumpolicy.model.messages import PRECISE, ReplaceNode, SetPath
from rumpolicy.model.symbols import ATTR, REF, token

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "examples" / "terraform" / "broken" / "main.tf"
DATA = ROOT / "tests" / "data" / "fix"
AUD = "cognito-identity.amazonaws.com:aud"


def _at(pointer: str, span: Span | None = None) -> Location:
    return Location("main.tf", pointer, span)


def _fixed(text: str, *edits) -> str:
    document = TerraformDocument(text)
    out = apply_patches(text, [p for e in edits for p in document.patches(e)])
    hcl2.loads(out)                       # still Terraform
    return out


def test_example_edits_keep_comments_and_write_references() -> None:
    text = BROKEN.read_text("utf-8")
    out = _fixed(
        text,
        ReplaceNode(_at("/resource/aws_cognito_identity_pool/shop/allow_classic_flow"), True),
        SetPath(_at("/resource/aws_iam_role/shop_guest/assume_role_policy/Statement/0"),
                ("Condition", "StringEquals", AUD), token(REF, "aws_cognito_identity_pool.shop.id")),
        ReplaceNode(_at("/resource/aws_iam_role/shop_guest/inline_policy/0/policy/Statement/0/Action"),
                    "rum:PutRumEvents"),
        ReplaceNode(_at("/resource/aws_iam_role/shop_guest/inline_policy/0/policy/Statement/0/Resource"),
                    token(ATTR, "aws_rum_app_monitor.shop.arn")))
    assert "  allow_classic_flow = true\n" in out
    assert ('          "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }\n'
            '          StringEquals             = { "cognito-identity.amazonaws.com:aud" = '
            'aws_cognito_identity_pool.shop.id }\n') in out
    assert '          Action   = "rum:PutRumEvents"\n          Resource = aws_rum_app_monitor.shop.arn\n' in out
    kept = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert kept == [line for line in out.splitlines() if line.lstrip().startswith("#")]
    import difflib

    delta = [line[0] for line in difflib.ndiff(text.splitlines(), out.splitlines()) if line[0] in "+-"]
    assert delta.count("-") == 3 and delta.count("+") == 4


def test_attribute_added_to_a_resource_block_aligned() -> None:
    text = ('resource "aws_cognito_identity_pool" "p" {\n'
            '  identity_pool_name               = "p"\n'
            '  allow_unauthenticated_identities = true\n'
            '}\n')
    out = _fixed(text, SetPath(_at("/resource/aws_cognito_identity_pool/p"), ("allow_classic_flow",), True))
    assert out == text.replace("true\n}", "true\n  allow_classic_flow               = true\n}")


def test_scanner_skips_strings_comments_and_heredocs() -> None:
    text = ('# a { in a comment\n'
            'resource "aws_iam_role" "r" {\n'
            '  name = "a}b${var.x == "}" ? 1 : 2}" // }\n'
            '  /* { */ description = <<EOT\n'
            '}}}\n'
            'EOT\n'
            '  policy = jsonencode({ Statement = [{ Action = "rum:*", Resource = ["*"] }] })\n'
            '}\n')
    nodes = hcl_nodes(text)
    action = nodes["/resource/aws_iam_role/r/policy/Statement/0/Action"]
    assert text[action.start:action.end] == '"rum:*"'
    star = nodes["/resource/aws_iam_role/r/policy/Statement/0/Resource/0"]
    assert text[star.start:star.end] == '"*"'
    out = _fixed(text, SetPath(_at("/resource/aws_iam_role/r/policy/Statement/0"), ("Condition",), {"A": "b"}))
    assert '{ Action = "rum:*", Resource = ["*"], Condition = { A = "b" } }' in out


def test_heredoc_json_is_edited_as_json_with_interpolated_references() -> None:
    text = (DATA / "tf-heredoc.tf").read_text("utf-8")
    out = _fixed(
        text,
        SetPath(_at("/resource/aws_iam_role/guest/assume_role_policy/Statement/0"),
                ("Condition", "StringEquals", AUD), token(REF, "aws_cognito_identity_pool.web.id")),
        ReplaceNode(_at("/resource/aws_iam_role_policy/rum/policy/Statement/0/Resource"),
                    token(ATTR, "aws_rum_app_monitor.web.arn")))
    assert '"cognito-identity.amazonaws.com:aud": "${aws_cognito_identity_pool.web.id}"' in out
    assert '"Action": "rum:*", "Resource": "${aws_rum_app_monitor.web.arn}" }' in out
    assert out.count("<<EOF") == 1 and out.rstrip().endswith("}")


def test_policy_document_value_is_found_by_its_span() -> None:
    text = (DATA / "tf-policy-document.tf").read_text("utf-8")
    out = _fixed(text, ReplaceNode(_at("/resource/aws_iam_role_policy/rum/policy/Statement/0/Action/0",
                                       Span(25, 18)), "rum:PutRumEvents"))
    assert '    actions   = ["rum:PutRumEvents"] # every RUM action\n' in out
    with pytest.raises(Unfixable, match="aws_iam_policy_document"):
        TerraformDocument(text).patches(SetPath(_at("/resource/aws_iam_role/guest/assume_role_policy/Statement/0"),
                                                ("Condition", "StringEquals", AUD), "x"))


@pytest.mark.parametrize("text,pointer,why", [
    ('resource "aws_iam_role_policy" "r" {\n  policy = "{\\"Statement\\": []}"\n}\n',
     "/resource/aws_iam_role_policy/r/policy/Statement/0", "quoted string"),
    ('resource "aws_iam_role_policy" "r" {\n  policy = local.policy\n}\n',
     "/resource/aws_iam_role_policy/r/policy/Statement/0", "expression"),
    ('module "m" {\n  source = "./m"\n}\n', "/module/m/x", "root-module"),
])
def test_what_it_does_not_edit_says_why(text: str, pointer: str, why: str) -> None:
    with pytest.raises(Unfixable, match=why):
        TerraformDocument(text).patches(ReplaceNode(_at(pointer), "rum:PutRumEvents"))


# ----------------------------------------------------------------------------- from the command line

def _rules_edit_terraform() -> bool:
    from rumpolicy.api import check

    return any(isinstance(e, PRECISE) for f in check([str(BROKEN)]).findings for e in f.fix)


needs_rules = pytest.mark.skipif(not _rules_edit_terraform(),
                                 reason="the rules attach no precise edits to Terraform findings yet")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "rumpolicy", *args], cwd=cwd, capture_output=True, text=True)


@needs_rules
def test_cli_fixes_the_broken_example(tmp_path: Path) -> None:
    shutil.copytree(BROKEN.parent, tmp_path / "broken")
    target = tmp_path / "broken" / "main.tf"
    before = target.read_text("utf-8")
    diff = _cli("fix", "broken", "--no-config", "--diff", cwd=tmp_path)
    assert diff.returncode == 1 and target.read_text("utf-8") == before
    first = _cli("fix", "broken", "--no-config", cwd=tmp_path)
    assert "fixed 3 findings (RUM-POOL-002, RUM-TRUST-002, RUM-PERM-005)" in first.stdout
    assert "RUM-PERM-004 not fixed: unsafe fix available (--unsafe-fixes)" in first.stdout
    assert _cli("check", "broken", "--no-config", cwd=tmp_path).returncode == 0
    copy = tmp_path / "patched.tf"
    copy.write_text(before, "utf-8")
    subprocess.run(["patch", "-s", str(copy)], input=diff.stdout, text=True, check=True)
    assert copy.read_text("utf-8") == target.read_text("utf-8")
    assert _cli("fix", "broken", "--no-config", "--unsafe-fixes", cwd=tmp_path).returncode == 0
    fixed = target.read_text("utf-8")
    hcl2.loads(fixed)
    assert "# Guest credentials are public" in fixed
    again = _cli("fix", "broken", "--no-config", "--unsafe-fixes", cwd=tmp_path)
    assert again.returncode == 0 and target.read_text("utf-8") == fixed
    assert "0 errors, 0 warnings" in _cli("check", "broken", "--no-config", cwd=tmp_path).stdout


@needs_rules
@pytest.mark.parametrize("name", ["tf-heredoc.tf", "tf-policy-document.tf"])
def test_cli_fixes_heredoc_and_policy_document_variants(name: str, tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    shutil.copy(DATA / name, target)
    _cli("fix", "main.tf", "--no-config", "--unsafe-fixes", cwd=tmp_path)
    hcl2.loads(target.read_text("utf-8"))
    left = _cli("check", "main.tf", "--no-config", "--format", "json", cwd=tmp_path).stdout
    assert "RUM-PERM-005" not in left and "RUM-PERM-004" not in left


@needs_rules
def test_cli_leaves_an_unverified_file_unchanged(tmp_path: Path) -> None:
    """A fix that leaves its finding behind (the monitor's ARN is what the resource names) is refused."""
    target = tmp_path / "main.tf"
    text = BROKEN.read_text("utf-8").replace('Resource = "*"', 'Resource = "*" # x\n          NotAction = "s3:*"')
    target.write_text(text, "utf-8")
    result = _cli("fix", "main.tf", "--no-config", "--unsafe-fixes", cwd=tmp_path)
    if "left unchanged" in result.stdout:
        assert target.read_bytes() == text.encode("utf-8")
