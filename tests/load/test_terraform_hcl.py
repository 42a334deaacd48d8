"""Terraform configurations: parsing with positions, evaluation, modules, and the model they load into."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.findings import Span
from rumpolicy.load import Candidate
from rumpolicy.load.cfn_intrinsics import StackEnv
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.source import SourceError
from rumpolicy.load.terraform_eval import Evaluator, JsonText, Sink
from rumpolicy.load.terraform_hcl import load_configurations
from rumpolicy.load.terraform_syntax import parse_hcl, parse_json_config, parse_template, parse_tfvars
from rumpolicy.model.symbols import ATTR, OPAQUE, PARAM, PSEUDO, REF, Unknown, as_terraform, parts, render, token
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
GUEST_TRUST = '''
resource "aws_iam_role" "guest" {
  name = "rum-guest"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.rum.id }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "unauthenticated" }
      }
    }]
  })
}
'''


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return folder


def load(folder: Path, options: LoadOptions | None = None, explicit: bool = False):
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return load_configurations([Candidate(str(p), explicit) for p in paths], options or LoadOptions())


def load_text(tmp_path: Path, text: str, options: LoadOptions | None = None):
    return load(write(tmp_path, {"main.tf": text}), options)


def evaluate(expression: str, context=None):
    config = parse_hcl(f"x = {expression}\n", "e.tf")
    attribute = config.body.attributes["x"]
    sink = Sink()
    value = Evaluator(context or _NoNames()).evaluate(attribute.expr, "e.tf", "/x", sink)
    return value, sink


class _NoNames:
    def root(self, ev, name, site):
        return site.unknown(f"no {name}")

    def read_file(self, path, site):
        return site.unknown("no files")


# -- syntax ------------------------------------------------------------------------------------

def test_attributes_and_blocks_keep_their_positions():
    config = parse_hcl('resource "aws_iam_role" "guest" {\n  name = "a"\n\n  inline_policy {\n    name = "b"\n  }\n}\n',
                       "main.tf")
    (block,) = config.top_blocks
    assert (block.type, block.labels, block.span) == ("resource", ("aws_iam_role", "guest"), Span(1, 1))
    assert block.body.attribute("name").span == Span(2, 3)
    (nested,) = block.body.blocks("inline_policy")
    assert nested.span == Span(4, 3)
    assert nested.body.attribute("name").span == Span(5, 5)


def test_interpolations_in_heredocs_are_parsed_with_their_lines():
    config = parse_hcl('p = <<-EOT\n  {"Resource": "${aws_rum_app_monitor.web.arn}"}\n  EOT\n', "main.tf")
    template = config.body.attributes["p"].expr
    expression = template.parts[1]
    assert (expression.name, expression.span.line) == ("arn", 2)


def test_template_directives_are_kept_as_unsupported():
    value, sink = evaluate('"a%{ if true }b%{ endif }"')
    assert isinstance(value, Unknown) and "directives" in value.reason
    assert list(sink.unresolved) == [("/x", value.reason)]


def test_json_syntax_strings_are_templates():
    config = parse_json_config('{"resource": {"aws_iam_role": {"guest": {"name": "${var.prefix}-guest"}}}}', "m.tf.json")
    (block,) = config.top_blocks
    assert block.labels == ("aws_iam_role", "guest")
    name = block.body.attribute("name")
    assert name.span == Span(1, 42)        # where the JSON syntax writes the attribute: its key
    assert [type(p).__name__ if not isinstance(p, str) else p for p in name.expr.parts] == ["GetAttr", "-guest"]


@pytest.mark.parametrize("text, line, message", [
    ('resource "a" "b" {\n  x = \n}\n', 2, "invalid HCL"),
    ('a = [1, 2\n', 2, "end of the file"),
    ('a = 1\na = 2\n', 2, "duplicate attribute 'a' (first at line 1)"),
    ('p = <<EOT\n${x\nEOT\n', 2, "without its closing"),
])
def test_syntax_errors_are_located(text, line, message):
    with pytest.raises(SourceError) as error:
        parse_hcl(text, "main.tf")
    assert message in error.value.message
    assert error.value.span is not None and error.value.span.line == line


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(SourceError, match="nests|deeper"):
        parse_hcl("a = " + "[" * 5000 + "]" * 5000 + "\n", "deep.tf")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list('{}[]()"=$%#.,:\n abcxyz01_-<>?!*/\\~') + ["${", "%{", "<<EOT\n", "\nEOT\n"]),
                max_size=80).map("".join))
def test_the_parser_raises_nothing_but_source_error(text):
    try:
        parse_hcl(text, "fuzz.tf")
    except SourceError:
        pass


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_loading_arbitrary_text_never_raises(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "main.tf").write_text(text, encoding="utf-8")
    inventory = load(folder)
    (file,) = inventory.files
    assert file.kind == "terraform"
    if file.error is not None:
        assert file.error_location is not None and file.error_location.source.endswith("main.tf")


def test_tfvars_hold_values_only():
    assert set(parse_tfvars('a = "x"\nb = [1, 2]\n', "t.tfvars")) == {"a", "b"}
    with pytest.raises(SourceError, match="only `name = value`"):
        parse_tfvars('resource "a" "b" {}\n', "t.tfvars")


# -- expressions -------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('"a-${1 + 2}"', "a-3"),
    ('format("%s:%d", "x", 3)', "x:3"),
    ('join(",", ["a", "b"], ["c"])', "a,b,c"),
    ('true ? "yes" : "no"', "yes"),
    ('1 == 1 && !false', True),
    ('[for s in ["a", "b"] : upper(s) if s != "b"]', ["A"]),
    ('{for k, v in {a = 1, b = 2} : v => k}', {"1": "a", "2": "b"}),
    ('[{n = 1}, {n = 2}][*].n', [1, 2]),
    ('lookup({a = "x"}, "b", "d")', "d"),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ('merge({a = 1}, {b = 2})', {"a": 1, "b": 2}),
    ('replace("rum:PutRumEvents", ":", "-")', "rum-PutRumEvents"),
    ('tostring(5)', "5"),
    ('element(["a", "b"], 3)', "b"),
    ('jsondecode("{\\"a\\": [1.0]}")', {"a": [1]}),
])
def test_expressions_evaluate_like_terraform(expression, expected):
    value, sink = evaluate(expression)
    assert value == expected and not sink.unresolved


def test_jsonencode_keeps_its_value_and_renders_like_terraform():
    value, _ = evaluate('jsonencode({b = "<x>", a = [1.5, 2.0, true, null]})')
    assert isinstance(value, JsonText)
    assert str(value) == '{"a":[1.5,2,true,null],"b":"\\u003cx\\u003e"}'
    assert value.structure == {"b": "<x>", "a": [1.5, 2.0, True, None]}


def test_jsonencode_keeps_deploy_time_tokens_raw():
    pool = token(REF, "aws_cognito_identity_pool.rum.id")

    class Pool(_NoNames):
        def root(self, ev, name, site):
            return pool if name == "pool" else super().root(ev, name, site)

    value, _ = evaluate('jsonencode({aud = pool})', Pool())
    assert json.loads(str(value), strict=False) == {"aud": pool}


def test_undecidable_conditions_and_unsupported_functions_are_unknown_and_recorded():
    value, sink = evaluate('sha256("x")')
    assert isinstance(value, Unknown) and "sha256() is not evaluated" in value.reason
    value, sink = evaluate('var_x == "a" ? 1 : 2')
    assert isinstance(value, Unknown)
    assert any("no var_x" in reason for _, reason in sink.unresolved)


def test_an_unknown_in_a_string_stays_a_distinct_opaque_token():
    value, _ = evaluate('"arn:${sha256("x")}:y"')
    (symbol,) = [p for p in parts(value) if not isinstance(p, str)]
    assert symbol.kind == OPAQUE and value.endswith(":y")


# -- modules and the model ---------------------------------------------------------------------

POOL = '''
resource "aws_cognito_identity_pool" "rum" {
  identity_pool_name               = "rum"
  allow_unauthenticated_identities = true
}
'''


def test_provider_default_disables_the_classic_flow(tmp_path):
    inventory = load_text(tmp_path, POOL)
    (pool,) = inventory.pools
    assert pool.allow_classic_flow.value is False and pool.classic_flow_defaulted
    assert pool.allow_classic_flow.location == pool.location
    assert (pool.location.pointer, pool.location.line) == ("/resource/aws_cognito_identity_pool/rum", 1)
    assert pool.pool_id == token(REF, "aws_cognito_identity_pool.rum.id")


def test_an_explicit_classic_flow_is_not_a_default(tmp_path):
    inventory = load_text(tmp_path, POOL.replace("true\n", "true\n  allow_classic_flow = true\n"))
    (pool,) = inventory.pools
    assert pool.allow_classic_flow.value is True and not pool.classic_flow_defaulted
    assert pool.allow_classic_flow.location.pointer == "/resource/aws_cognito_identity_pool/rum/allow_classic_flow"
    assert pool.allow_classic_flow.location.line == 4


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_references_link_the_chain_and_policies_are_located_where_written(tmp_path):
    inventory = load_text(tmp_path, POOL + GUEST_TRUST + '''
resource "aws_rum_app_monitor" "web" {
  name   = "web"
  domain = "example.com"
  app_monitor_configuration {
    identity_pool_id = aws_cognito_identity_pool.rum.id
    guest_role_arn   = aws_iam_role.guest.arn
  }
}
''')
    (monitor,) = inventory.monitors
    (role,) = inventory.roles
    assert monitor.identity_pool is inventory.pools[0]
    assert monitor.guest_role is role
    # the partition defaults to aws; the account is the provider's, shown as Terraform reads it
    assert render(role.arn) == "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/rum-guest"
    assert monitor.guest_role_arn.location.pointer == \
        "/resource/aws_rum_app_monitor/web/app_monitor_configuration/0/guest_role_arn"
    assert monitor.guest_role_arn.location.line == line_of(tmp_path / "main.tf", "guest_role_arn   =")
    (statement,) = role.trust_policy.statements
    (aud, amr) = statement.conditions
    assert aud.values == (monitor.identity_pool_id.value,)
    assert aud.location.pointer == ("/resource/aws_iam_role/guest/assume_role_policy/Statement/0/Condition/"
                                    "StringEquals/cognito-identity.amazonaws.com:aud")
    assert aud.location.line == line_of(tmp_path / "main.tf", '"cognito-identity.amazonaws.com:aud" =')
    # Measured on the string jsonencode produces (sorted keys, no spaces), as RUM-RBP-002 measures policies.
    rendered = ('{"Statement":[{"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringLike":'
                '{"cognito-identity.amazonaws.com:amr":"unauthenticated"},"StringEquals":'
                '{"cognito-identity.amazonaws.com:aud":"' + monitor.identity_pool_id.value + '"}},"Effect":"Allow",'
                '"Principal":{"Federated":"cognito-identity.amazonaws.com"}}],"Version":"2012-10-17"}')
    assert role.trust_policy.text_bytes == len(rendered.encode("utf-8"))


def test_pseudo_values_are_cloudformations_tokens_marked_as_terraform(tmp_path):
    inventory = load_text(tmp_path, '''
data "aws_partition" "p" {}
data "aws_region" "r" {}
data "aws_caller_identity" "me" {}
resource "aws_iam_policy" "put" {
  name   = "put"
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "rum:PutRumEvents",
    Resource = "arn:${data.aws_partition.p.partition}:rum:${data.aws_region.r.name}:${data.aws_caller_identity.me.account_id}:appmonitor/web"}]})
}
''')
    (policy,) = inventory.managed_policies
    (statement,) = policy.document.statements
    env = StackEnv()
    assert statement.resources[0].value == as_terraform(f"arn:aws:rum:{env.pseudo('AWS::Region')}:"
                                                        f"{env.pseudo('AWS::AccountId')}:appmonitor/web")
    assert env.pseudo("AWS::Region") == token(PSEUDO, "AWS::Region")
    # Code that reads symbols sees CloudFormation's kind and detail; messages show Terraform's terms.
    region = [p for p in parts(statement.resources[0].value) if not isinstance(p, str)][0]
    assert (region.kind, region.detail, region.dialect) == (PSEUDO, "AWS::Region", "terraform")
    assert render(statement.resources[0].value) == ("arn:aws:rum:${data.aws_region.current.name}:"
                                                    "${data.aws_caller_identity.current.account_id}:appmonitor/web")
    pinned = load_text(tmp_path, (tmp_path / "main.tf").read_text(),
                       LoadOptions(region="eu-west-1", account="123456789012"))
    assert pinned.managed_policies[0].document.statements[0].resources[0].value == \
        "arn:aws:rum:eu-west-1:123456789012:appmonitor/web"


def test_the_provider_block_pins_region_account_and_partition(tmp_path):
    inventory = load_text(tmp_path, 'provider "aws" {\n  region = "us-gov-west-1"\n  allowed_account_ids = ["123456789012"]\n}\n'
                          + POOL)
    (pool,) = inventory.pools
    assert (pool.env.partition, pool.env.region, pool.env.account) == ("aws-us-gov", "us-gov-west-1", "123456789012")


def test_policy_documents_from_data_sources(tmp_path):
    inventory = load_text(tmp_path, '''
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = ["us-east-1:0a1b2c3d-1234-4abc-8def-0123456789ab"]
    }
  }
}
resource "aws_iam_role" "guest" {
  name               = "guest"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
''')
    (role,) = inventory.roles
    (statement,) = role.trust_policy.statements
    assert (statement.effect, statement.location.line) == ("Allow", 2)
    assert statement.principal.values("Federated")[0].value == "cognito-identity.amazonaws.com"
    (clause,) = statement.conditions
    assert (clause.operator, clause.key, clause.values) == (
        "StringEquals", "cognito-identity.amazonaws.com:aud", ("us-east-1:0a1b2c3d-1234-4abc-8def-0123456789ab",))
    assert clause.location.line == 10         # the condition's `variable`
    assert clause.location.pointer.startswith("/resource/aws_iam_role/guest/assume_role_policy/Statement/0/")


def test_dynamic_statements_are_expanded_when_their_for_each_is_known(tmp_path):
    inventory = load_text(tmp_path, '''
data "aws_iam_policy_document" "put" {
  dynamic "statement" {
    for_each = ["web", "admin"]
    content {
      actions   = ["rum:PutRumEvents"]
      resources = ["arn:aws:rum:us-east-1:123456789012:appmonitor/${statement.value}"]
    }
  }
}
resource "aws_iam_policy" "put" {
  name   = "put"
  policy = data.aws_iam_policy_document.put.json
}
''')
    statements = inventory.managed_policies[0].document.statements
    assert [s.resources[0].value.rsplit("/", 1)[1] for s in statements] == ["web", "admin"]


def test_policy_documents_merge_their_sources_and_overrides_by_sid(tmp_path):
    inventory = load_text(tmp_path, '''
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Put"
    actions   = ["rum:PutRumEvents"]
    resources = ["*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:PutLogEvents"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "narrow" {
  source_json = data.aws_iam_policy_document.base.json
  statement {
    sid       = "Put"
    actions   = ["rum:PutRumEvents"]
    resources = ["arn:aws:rum:us-east-1:123456789012:appmonitor/web"]
  }
  override_policy_documents = [jsonencode({Statement = [{Sid = "Logs", Effect = "Deny", Action = "logs:*", Resource = "*"}]})]
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.narrow.json
}
''')
    statements = inventory.managed_policies[0].document.statements
    assert [(s.sid, s.effect, s.resources[0].value) for s in statements] == [
        ("Put", "Allow", "arn:aws:rum:us-east-1:123456789012:appmonitor/web"), ("Logs", "Deny", "*")]


def test_variables_take_defaults_then_auto_tfvars_then_var_files(tmp_path):
    write(tmp_path, {
        "main.tf": 'variable "name" {\n  default = "a"\n}\nvariable "flag" {\n  type = bool\n}\n'
                   'resource "aws_rum_app_monitor" "m" {\n  name = var.name\n  domain = "x.com"\n}\n'
                   'resource "aws_cognito_identity_pool" "p" {\n  identity_pool_name = "p"\n'
                   '  allow_classic_flow = var.flag\n}\n',
        "terraform.tfvars": 'name = "b"\n',
        "z.auto.tfvars": 'name = "c"\n',
        "prod.tfvars": 'name = "d"\nflag = "true"\n',
    })
    inventory = load(tmp_path)
    assert inventory.monitors[0].name.value == "c"
    flag = inventory.pools[0].allow_classic_flow.value
    assert isinstance(flag, Unknown) and "--var-file" in flag.reason
    with_file = load(tmp_path, LoadOptions(var_files=(str(tmp_path / "prod.tfvars"),)))
    assert with_file.monitors[0].name.value == "d"
    assert with_file.pools[0].allow_classic_flow.value is True
    assert {f.kind for f in with_file.files} == {"terraform", "terraform-variables"}
    assert "prod.tfvars" not in {Path(f.path).name for f in inventory.files}


def test_a_string_variable_without_value_is_a_named_deploy_time_value(tmp_path):
    inventory = load_text(tmp_path, 'variable "env" {}\nresource "aws_rum_app_monitor" "m" {\n  name = "web-${var.env}"\n}\n')
    assert inventory.monitors[0].name.value == "web-" + token(PARAM, "var.env")


def test_count_and_for_each_make_instances(tmp_path):
    inventory = load_text(tmp_path, '''
resource "aws_iam_role" "by_count" {
  count = 2
  name  = "guest-${count.index}"
}
resource "aws_iam_role" "by_key" {
  for_each = { web = "w", admin = "a" }
  name     = "guest-${each.value}"
}
''')
    assert sorted((r.subject, r.name) for r in inventory.roles) == [
        ('aws_iam_role.by_count[0]', "guest-0"), ('aws_iam_role.by_count[1]', "guest-1"),
        ('aws_iam_role.by_key["admin"]', "guest-a"), ('aws_iam_role.by_key["web"]', "guest-w")]


def test_an_unknown_count_is_reported_and_what_holds_in_every_instance_checked(tmp_path):
    inventory = load_text(tmp_path, 'resource "aws_iam_role" "r" {\n  count = length(data.x.y.names)\n  name = "r"\n}\n')
    # One role stands for all instances: what the block says regardless of count.index is checked.
    (role,) = inventory.roles
    assert role.subject == "aws_iam_role.r"
    (undecided,) = inventory.undecided
    assert undecided.subject == "aws_iam_role.r" and "count" in undecided.message
    assert "what differs between its instances was not checked" in undecided.message
    assert (undecided.location.pointer, undecided.location.line) == ("/resource/aws_iam_role/r", 1)


def test_local_modules_are_followed_and_not_loaded_again_as_roots(tmp_path):
    write(tmp_path, {
        "main.tf": 'module "rum" {\n  source = "./modules/rum"\n  pool_name = "shop"\n}\n'
                   'resource "aws_rum_app_monitor" "web" {\n  name = "web"\n  domain = "x.com"\n'
                   '  app_monitor_configuration {\n    identity_pool_id = module.rum.pool_id\n  }\n}\n',
        "modules/rum/main.tf": 'variable "pool_name" {}\n' + POOL.replace('"rum"\n  allow', 'var.pool_name\n  allow')
                               + 'output "pool_id" {\n  value = aws_cognito_identity_pool.rum.id\n}\n',
    })
    inventory = load(tmp_path)
    (pool,) = inventory.pools
    assert pool.subject == "module.rum.aws_cognito_identity_pool.rum"
    assert pool.name.value == "shop"
    assert pool.location.source.endswith("modules/rum/main.tf")
    assert inventory.monitors[0].identity_pool is pool


def test_registry_modules_are_reported_as_not_checked(tmp_path):
    inventory = load_text(tmp_path, 'module "iam" {\n  source = "terraform-aws-modules/iam/aws"\n}\n')
    (undecided,) = inventory.undecided
    assert undecided.subject == "module.iam" and "only local modules" in undecided.message


def test_a_module_that_calls_itself_stops(tmp_path):
    inventory = load_text(tmp_path, 'module "me" {\n  source = "./"\n}\n' + POOL)
    assert len(inventory.pools) == 1
    assert any("without end" in u.message for u in inventory.undecided)


def test_remote_state_outputs_are_named_and_reported(tmp_path):
    inventory = load_text(tmp_path, 'data "terraform_remote_state" "s" {\n  backend = "s3"\n}\n'
                          'resource "aws_rum_app_monitor" "m" {\n  name = "m"\n  app_monitor_configuration {\n'
                          '    identity_pool_id = data.terraform_remote_state.s.outputs.pool\n  }\n}\n')
    value = inventory.monitors[0].identity_pool_id.value
    assert value == token(ATTR, "data.terraform_remote_state.s.outputs.pool")
    assert any("another configuration's state" in u.message for u in inventory.undecided)


def test_awscc_monitor_with_its_resource_policy(tmp_path):
    inventory = load_text(tmp_path, '''
resource "awscc_rum_app_monitor" "web" {
  name   = "web"
  domain = "example.com"
  app_monitor_configuration = { identity_pool_id = "us-east-1:0a1b2c3d-1234-4abc-8def-0123456789ab" }
  resource_policy = {
    policy_document = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = "*",
                                  Action = "rum:PutRumEvents", Resource = "*"}]})
  }
}
''')
    (monitor,) = inventory.monitors
    assert monitor.identity_pool_id.value.startswith("us-east-1:")
    (policy,) = monitor.resource_policies
    assert policy.subject == "awscc_rum_app_monitor.web.resource_policy"
    assert policy.document.statements[0].principal.wildcard


def test_policy_attachments_join_roles_by_name(tmp_path):
    inventory = load_text(tmp_path, '''
resource "aws_iam_role" "guest" {
  name = "guest"
}
resource "aws_iam_policy" "put" {
  name   = "put"
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "rum:PutRumEvents", Resource = "*"}]})
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.guest.name
  policy_arn = aws_iam_policy.put.arn
}
resource "aws_iam_policy_attachment" "b" {
  name       = "b"
  roles      = [aws_iam_role.guest.id]
  policy_arn = "arn:aws:iam::aws:policy/AmazonCognitoUnauthenticatedIdentities"
}
''')
    (role,) = inventory.roles
    arns = {render(p.arn) for p in role.policies}
    assert arns == {"arn:aws:iam::${data.aws_caller_identity.current.account_id}:policy/put",
                    "arn:aws:iam::aws:policy/AmazonCognitoUnauthenticatedIdentities"}
    assert all(p.document is not None for p in role.policies)


def test_an_object_where_a_policy_string_belongs_is_an_input_error(tmp_path):
    inventory = load_text(tmp_path, 'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = {\n'
                          '    Version = "2012-10-17"\n    Statement = []\n  }\n}\n')
    (file,) = inventory.files
    assert any("must be a JSON string (use jsonencode)" in p.message and p.location.line == 3 for p in file.problems)


def test_files_are_read_relative_to_the_root_module(tmp_path):
    write(tmp_path, {"policy.json": '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", '
                                    '"Action": "rum:PutRumEvents", "Resource": "*"}}',
                     "main.tf": 'resource "aws_iam_policy" "p" {\n  name = "p"\n'
                                '  policy = file("${path.module}/policy.json")\n}\n'})
    inventory = load(tmp_path)
    assert inventory.managed_policies[0].document.statements[0].action_patterns() == ["rum:PutRumEvents"]


def test_template_parts_keep_positions_in_json_strings():
    template = parse_template("arn:${var.x}", "m.tf.json", Span(3, 10))
    assert template.parts[0] == "arn:" and template.parts[1].span == Span(3, 10)


def test_positions_are_the_same_with_hcl2s_own_parser(tmp_path):
    # Where the parse table cannot be cached, hcl2's own parser (which works out positions itself) is used.
    import os
    import subprocess
    import sys

    code = ("from rumpolicy.load.terraform_syntax import _parser, parse_hcl\n"
            "c = parse_hcl(open('main.tf').read(), 'main.tf')\n"
            "b = c.top_blocks[0]\n"
            "policy = b.body.attribute('assume_role_policy')\n"
            "print(_parser().options.propagate_positions, b.span, policy.span, policy.expr.span)\n")
    (tmp_path / "main.tf").write_text(GUEST_TRUST)
    outputs = []
    # A cache folder below a file can never be created.
    for cache in (os.environ.get("XDG_CACHE_HOME"), str(tmp_path / "main.tf" / "cache")):
        env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
        if cache:
            env["XDG_CACHE_HOME"] = cache
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout.split(" ", 1))
    assert [flag for flag, _ in outputs] == ["False", "True"]
    assert outputs[0][1] == outputs[1][1] and outputs[0][1].startswith("Span(line=2, column=1)")
