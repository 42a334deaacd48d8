"""The web client loader: the CDN snippet, ``new AwsRum(...)`` and JSON config files -> WebClientConfig."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.findings import Span
from rumpolicy.load.source import parse_json
from rumpolicy.load.webclient import (is_client_config, load_client_config, load_json5_client_config,
                                      load_web_source, worth_parsing)
from rumpolicy.load.webclient_js import decode_string, parse_number
from rumpolicy.model.inputs import InputFile
from rumpolicy.model.symbols import Unknown
from tests.conftest import examples

LOADER = ("(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};window[n]=function(c,p)"
          "{x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;z.src=s;"
          "document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})(")
POOL = "eu-west-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
APP = "5f1e8a2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b"


def load(tmp_path: Path, name: str, text: str, *, walked: bool = False, max_bytes: int = 5 * 1024 * 1024):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    file = InputFile(str(path), not walked)
    return load_web_source(str(path), file, max_bytes, walked=walked), file


def only(inventory):
    assert inventory is not None and len(inventory.web_clients) == 1, inventory
    return inventory.web_clients[0]


def position(node) -> tuple[int, int]:
    return node.location.line, node.location.column


# --- the CDN snippet ---------------------------------------------------------------------------------


def test_cdn_snippet_in_html_keeps_page_positions(tmp_path):
    page = ("<!doctype html>\n<html><head>\n"
            "<title>Café ünïcode</title><script>\n"
            f"{LOADER}'cwr','{APP}','1.0.0','eu-west-1','https://client.rum.us-east-1.amazonaws.com/3.2.0/cwr.js',\n"
            "  {sessionSampleRate: 1, identityPoolId: \"" + POOL + "\", signing: false,\n"
            "   endpoint: 'https://dataplane.rum.eu-west-1.amazonaws.com', cookieAttributes: {unique: true}});\n"
            "</script></head></html>\n")
    inventory, file = load(tmp_path, "index.html", page)
    client = only(inventory)
    assert file.kind == "web-client" and not file.problems
    assert client.form == "cdn"
    assert client.application_id.value == APP
    assert client.application_id.location.pointer == "/cwr/applicationId"
    assert client.region.value == "eu-west-1"
    assert client.identity_pool_id.value == POOL
    assert client.identity_pool_id.location.pointer == "/cwr/config/identityPoolId"
    line5 = page.splitlines()[4]
    assert position(client.identity_pool_id) == (5, line5.index("identityPoolId") + 1)
    assert client.signing.value is False and position(client.signing) == (5, line5.index("signing") + 1)
    assert client.cookie_unique.value is True
    assert client.cookie_unique.location.pointer == "/cwr/config/cookieAttributes/unique"
    assert client.dataplane_region == "eu-west-1" and not client.proxy_endpoint
    assert (client.build.value, client.client_version.value) == ("full", "3.2.0")
    assert client.location.line == 4 and client.location.column == 1
    assert inventory.undecided == []


def test_script_on_the_tag_line_keeps_its_column(tmp_path):
    page = (f"<p>é</p><script>{LOADER}'cwr','{APP}','1.0.0','us-east-1',"
            "'https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js',{identityPoolId:'" + POOL + "'})</script>")
    client = only(load(tmp_path, "p.html", page)[0])
    assert client.location.column == len("<p>é</p><script>") + 1
    expected = page.index("identityPoolId") + 1
    assert position(client.identity_pool_id) == (1, expected)
    assert client.client_version.value == "1.x"


def test_slim_cdn_build_and_remote_config_leave_the_config_open(tmp_path):
    text = (f"{LOADER}'cwr','{APP}','1.0.0','us-west-2','https://cdn.example.com/3.x/cwr-slim.js',"
            "{endpoint: 'https://rum.example.com/'}, 'https://cdn.example.com/rum-config.json');")
    client = only(load(tmp_path, "boot.js", text)[0])
    assert client.build.value == "slim" and client.client_version.value == "3.x"
    assert client.proxy_endpoint and client.dataplane_region is None
    assert isinstance(client.config_open.value, Unknown)
    assert client.signs is None           # slim signs only with a factory, but the remote config may say more


def test_self_hosted_loader_is_recognized_by_its_body(tmp_path):
    text = f"!{LOADER[1:]}'cwr','{APP}','1.0.0','us-west-2','/assets/rum/client.js',{{}});"
    inventory, _ = load(tmp_path, "boot.js", text)
    client = only(inventory)
    assert client.build is None and client.client_version is None
    assert [u.message for u in inventory.undecided] == [
        "whether this is the full (aws-rum-web, cwr.js) or the slim (@aws-rum/web-slim, cwr-slim.js) build of the "
        "web client could not be told, so the checks that depend on it were not made"]


def test_other_scripts_and_non_javascript_types_are_not_clients(tmp_path):
    page = ("<script type='application/json'>{\"identityPoolId\": \"x\"}</script>"
            "<script src='https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js'></script>"
            "<script>cwr('recordPageView', '/home');</script>")
    inventory, file = load(tmp_path, "a.html", page)
    assert inventory.web_clients == [] and file.kind is None
    assert load(tmp_path, "b.html", page, walked=True)[0] is None


# --- the npm form ---------------------------------------------------------------------------------------


def test_constructor_with_consts_in_a_try_block_typescript(tmp_path):
    text = """import { AwsRum, AwsRumConfig } from 'aws-rum-web';
try {
  const config: AwsRumConfig = {
    sessionSampleRate: 1,
    identityPoolId: "%s",
    guestRoleArn: 'arn:aws:iam::123456789012:role/' + 'rum-guest',
    endpoint: ENDPOINT,
  };
  const APPLICATION_ID: string = '%s';
  const APPLICATION_REGION = <string>'eu-west-1';
  const awsRum: AwsRum = new AwsRum(APPLICATION_ID, `1.0.0`, APPLICATION_REGION as string, config);
} catch (error) {}
""" % (POOL, APP)
    inventory, _ = load(tmp_path, "rum.ts", text)
    client = only(inventory)
    assert client.form == "npm" and client.build.value == "full"
    assert client.build.location.pointer == "/AwsRum/package" and client.build.location.line == 1
    assert client.application_id.value == APP and position(client.application_id) == (9, 34)
    assert client.region.value == "eu-west-1"
    assert client.guest_role_arn.value == "arn:aws:iam::123456789012:role/rum-guest"
    assert position(client.guest_role_arn) == (6, 5)
    assert client.endpoint.value == Unknown("`ENDPOINT` is not a constant of this file")
    assert [(u.location.pointer, u.message) for u in inventory.undecided] == [
        ("/AwsRum/config/endpoint", "`endpoint` of the web client is not known (`ENDPOINT` is not a constant of this "
                                    "file), so the checks that need it were not made")]
    assert client.uses_basic_flow is True


@pytest.mark.parametrize("header, build", [
    ("import { AwsRum as Rum } from '@aws-rum/web-slim';", "slim"),
    ("import * as rum from 'aws-rum-web';", "full"),
    ("const { AwsRum: Rum } = require('@aws-rum/web-slim');", "slim"),
    ("const rum = require('aws-rum-web');", "full"),
])
def test_constructor_aliases_and_namespaces(tmp_path, header, build):
    constructor = "rum.AwsRum" if "rum =" in header or "* as rum" in header else "Rum"
    text = f"{header}\nnew {constructor}('{APP}', '1.0.0', 'us-west-2', {{ signing: true }});\n"
    client = only(load(tmp_path, "rum.js", text)[0])
    assert client.build.value == build


def test_a_class_of_another_package_is_not_a_client(tmp_path):
    text = "import { AwsRum } from './my-wrapper';\nnew AwsRum('a', 'b', 'c', {});\n"
    inventory, _ = load(tmp_path, "x.js", text)
    assert only(inventory).build is None        # `AwsRum` of unknown origin is still a client, of unknown build
    text = "import { Other } from 'aws-rum-web';\nnew Other('a', 'b', 'c', {identityPoolId: 'x'});\n"
    assert load(tmp_path, "z.js", text)[0].web_clients == []
    text = "import { Other as AwsRum2 } from 'aws-rum-web';\nnew AwsRum2('a', 'b', 'c', {identityPoolId: 'x'});\n"
    assert load(tmp_path, "y.js", text)[0].web_clients == []


@pytest.mark.parametrize("declaration, reason", [
    ("let region = 'eu-west-1';",
     "`region` is declared with `let`, so its value when the client starts cannot be told"),
    ("import { region } from './env';", "`region` is imported from './env'"),
    ("const { region } = settings;", "`region` is taken apart from `{ region } = settings`"),
    ("const region = import.meta.env.VITE_REGION;", "`import.meta.env.VITE_REGION` is set when the site is built"),
    ("const region = `${zone}-1`;", "the template string ``${zone}-1`` is filled in at run time"),
    ("const region = pick();", "`pick()` is computed at run time"),
    ("const region = region2; const region2 = region;", "`region` is defined in terms of itself"),
])
def test_values_that_are_not_literals_are_unknown_with_the_reason(tmp_path, declaration, reason):
    text = f"import {{ AwsRum }} from 'aws-rum-web';\n{declaration}\nnew AwsRum('{APP}', '1', region, {{}});\n"
    client = only(load(tmp_path, "r.js", text)[0])
    assert client.region.value == Unknown(reason)


def test_function_parameters_and_spread_arguments_are_unknown(tmp_path):
    text = ("import { AwsRum } from 'aws-rum-web';\n"
            "export function start(region) { return new AwsRum('%s', '1', region, {...base, signing: !1}); }\n"
            "new AwsRum(...args);\n") % APP
    first, second = load(tmp_path, "f.js", text)[0].web_clients
    assert first.region.value == Unknown("`region` is a function parameter, known only at run time")
    assert first.signing.value is False
    assert first.config_open.value == Unknown("`...base` may set other keys")
    assert first.signs is False
    assert second.location.pointer == "/AwsRum#2"
    assert second.application_id.value == Unknown("the arguments are spread from an array")


def test_commands_in_the_same_file_are_seen(tmp_path):
    text = (f"{LOADER}'cwr','{APP}','1.0.0','us-west-2','https://x/1.x/cwr.js',{{}});\n"
            "cwr('setAwsCredentials', {accessKeyId: 'a'});\n")
    assert only(load(tmp_path, "c.js", text)[0]).sets_credentials is True
    text = ("import { AwsRum } from '@aws-rum/web-slim';\nconst r = new AwsRum('%s', '1', 'us-west-2', {});\n"
            "r.setSigningConfigFactory(f);\n") % APP
    client = only(load(tmp_path, "d.js", text)[0])
    assert client.signing_factory is True and client.sets_credentials is False and client.signs is True


# --- directives and syntax errors ------------------------------------------------------------------------


def test_directive_names_the_monitor_of_the_next_client_only(tmp_path):
    page = ("<!-- rumpolicy: app-monitor=www-example-com -->\n"
            f"<script>{LOADER}'cwr','{APP}','1','eu-west-1','https://x/1.x/cwr.js',{{}});</script>\n"
            f"<script>{LOADER}'cwr2','{APP}','1','eu-west-1','https://x/1.x/cwr.js',{{}});\n"
            "// rumpolicy: app-monitor = admin.site\n"
            f"{LOADER}'cwr3','{APP}','1','eu-west-1','https://x/1.x/cwr.js',{{}});</script>\n"
            "<!-- rumpolicy: app-monitor= -->\n")
    inventory, file = load(tmp_path, "i.html", page)
    names = [c.monitor_name.value if c.monitor_name else None for c in inventory.web_clients]
    assert names == ["www-example-com", None, "admin.site"]
    assert [p.location.line for p in file.problems] == [6]
    assert file.problems[0].message.startswith("`rumpolicy: app-monitor` needs the app monitor's name")


def test_syntax_error_inside_the_call_is_reported_and_the_rest_still_read(tmp_path):
    text = ("import { AwsRum } from 'aws-rum-web';\n"
            "new AwsRum('%s', '1', 'eu-west-1', { identityPoolId: '%s', endpoint: , signing: false });\n") % (APP, POOL)
    inventory, file = load(tmp_path, "s.js", text)
    client = only(inventory)
    assert client.identity_pool_id.value == POOL
    assert [(p.message, p.location.line) for p in file.problems] == [
        ("syntax error: the RUM web client call is read only in part", 2)]


def test_unreadable_client_code_is_a_located_problem(tmp_path):
    inventory, file = load(tmp_path, "t.js", "import { AwsRum } from 'aws-rum-web';\nnew AwsRum(((((\n")
    assert file.problems and file.problems[0].location.line == 2
    assert load(tmp_path, "u.js", "const x = AwsRum;\n", walked=True)[0] is None


# --- walking ---------------------------------------------------------------------------------------------


def test_walked_files_are_sniffed_before_parsing(tmp_path):
    plain = tmp_path / "app.js"
    plain.write_text("export const answer = 42;\n")
    assert not worth_parsing(str(plain), 1024)
    vendor = tmp_path / "vendor.min.js"
    vendor.write_text("var AwsRum=1;" + "x" * 4096)
    assert not worth_parsing(str(vendor), 1024)          # above the size limit: passed over when walked
    inventory, file = load(tmp_path, "big.js", "var AwsRum=1;" + "x" * 4096, max_bytes=1024)
    assert inventory.web_clients == [] and file.error.startswith("file is 0.0 MiB, above")


# --- JSON config files -----------------------------------------------------------------------------------


def test_strict_json_config(tmp_path):
    data = {"applicationId": APP, "applicationRegion": "eu-west-1", "appMonitorName": "web", "clientBuild": "slim",
            "clientVersion": "3.2.0", "identityPoolId": POOL, "cookieAttributes": {"unique": False}}
    path = tmp_path / "rum.json"
    path.write_text(json.dumps(data, indent=2))
    assert is_client_config(data) and not is_client_config({"applicationId": "x"})
    file = InputFile(str(path), True)
    client = only(load_client_config(parse_json(path.read_text(), str(path)), file))
    assert file.kind == "web-client-config" and client.form == "json"
    assert (client.monitor_name.value, client.build.value, client.client_version.value) == ("web", "slim", "3.2.0")
    assert client.identity_pool_id.location.pointer == "/identityPoolId"
    assert position(client.identity_pool_id) == (7, 3)
    assert client.cookie_unique.value is False and client.cookie_unique.location.pointer == "/cookieAttributes/unique"
    assert client.sets_credentials is None            # the code that reads the file is not in the input


def test_json5_config_with_comments(tmp_path):
    path = tmp_path / "rum.json"
    path.write_text("// RUM settings\n/* for\n  www */ {\n  applicationId: '%s',\n  // region\n"
                    "  applicationRegion: 'eu-west-1', endpoint: \"https://dataplane.rum.eu-west-1.amazonaws.com\",\n"
                    "}\n" % APP)
    file = InputFile(str(path), True)
    file.error = "invalid JSON: ..."
    client = only(load_json5_client_config(str(path), file, 1 << 20))
    assert file.error is None and file.kind == "web-client-config"
    assert position(client.application_id) == (4, 3)
    assert position(client.endpoint) == (6, path.read_text().splitlines()[5].index("endpoint") + 1)
    assert client.dataplane_region == "eu-west-1"


def test_broken_json5_config_is_located(tmp_path):
    path = tmp_path / "rum.json"
    path.write_text("{\n  applicationId: 'x',\n  endpoint: ,\n}\n")
    file = InputFile(str(path), True)
    assert load_json5_client_config(str(path), file, 1 << 20).web_clients == []
    assert file.error.startswith("invalid JSON5: ") and file.error_location.span == Span(3, 13)
    other = tmp_path / "tsconfig.json"
    other.write_text("// not RUM\n{ compilerOptions: {} }\n")
    assert load_json5_client_config(str(other), InputFile(str(other), False), 1 << 20) is None


# --- package.json: build, version, project -----------------------------------------------------------


def test_version_and_build_from_the_package_lock(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"aws-rum-web": "^3.1.0"}}))
    (tmp_path / "package-lock.json").write_text(json.dumps(
        {"lockfileVersion": 3, "packages": {"node_modules/aws-rum-web": {"version": "3.2.0"}}}, indent=1))
    (tmp_path / "src").mkdir()
    client = only(load(tmp_path, "src/rum.js", "new AwsRum('%s', '1', 'eu-west-1', {});\n" % APP)[0])
    assert client.build.value == "full" and client.build.location.pointer == "/dependencies/aws-rum-web"
    assert client.client_version.value == "3.2.0"
    assert client.client_version.location.pointer == "/packages/node_modules~1aws-rum-web/version"
    assert client.client_version.location.line == 5
    assert client.origin == str(tmp_path.resolve())


def test_the_search_for_package_json_stops_at_the_repository_root(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"@aws-rum/web-slim": "3.2.0"}}))
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    client = only(load(tmp_path / "repo", "rum.js", "new AwsRum('%s', '1', 'eu-west-1', {});\n" % APP)[0])
    assert client.build is None and client.client_version is None
    assert client.origin == str((tmp_path / "repo").resolve())


# --- literals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, value", [
    (r"a\nb", "a\nb"), (r"\x41\u0042\u{1F600}", "AB\U0001F600"), (r"\'\"\\", "'\"\\"), ("a\\\nb", "ab"),
    (r"\101", "A"), (r"\q", "q"),
])
def test_decode_string(raw, value):
    assert decode_string(raw) == value


@pytest.mark.parametrize("raw, value", [
    ("1", 1), ("1.5", 1.5), ("0x1F", 31), ("0b101", 5), ("0o17", 15), ("017", 15), ("1_000", 1000), ("1e3", 1000.0),
    ("10n", 10), (".5", 0.5),
])
def test_parse_number(raw, value):
    assert parse_number(raw) == value


# --- never raises ----------------------------------------------------------------------------------------

SNIPPET = (f"<script>\n{LOADER}'cwr','{APP}','1.0.0','eu-west-1','https://client.rum.us-east-1.amazonaws.com/"
           "3.2.0/cwr.js',{identityPoolId:'" + POOL + "',signing:false,cookieAttributes:{unique:true}});\n</script>\n")
FRAGMENTS = st.sampled_from(["<script>", "</script>", "<!--", "-->", "{", "}", "(", ")", "'", '"', "`", "${", "\\",
                             "new AwsRum(", "cwr(", "identityPoolId:", "...", ",", ";", "//", "/*", "\n", "é", "\x00",
                             "<meta http-equiv='Content-Security-Policy' content=\"connect-src *\">", "as const",
                             "rumpolicy: app-monitor=", "import { AwsRum } from 'aws-rum-web';", "const x = "])


@st.composite
def mangled_snippets(draw):
    text = SNIPPET
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(FRAGMENTS) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(0, 20)):]
    return text


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(mangled_snippets(), st.text(max_size=400)),
       suffix=st.sampled_from([".html", ".js", ".ts", ".tsx", ".jsx"]))
def test_the_extractor_never_raises(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"page{suffix}"
        path.write_text(text, "utf-8", errors="surrogatepass")
        for walked in (False, True):
            file = InputFile(str(path), not walked)
            inventory = load_web_source(str(path), file, 1 << 20, walked=walked)
            for client in inventory.web_clients if inventory else ():
                assert client.location.line is not None and client.location.line >= 1
                for node in (client.application_id, client.region, client.identity_pool_id, client.endpoint):
                    assert node is None or node.location.span is None or node.location.span.line >= 1


@settings(max_examples=examples(100), deadline=None)
@given(text=st.one_of(st.text(max_size=300),
                      st.builds(lambda t: "{applicationId: 'x', endpoint: " + t, st.text(max_size=60))))
def test_the_json5_loader_never_raises(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rum.json"
        path.write_text(text, "utf-8", errors="surrogatepass")
        load_json5_client_config(str(path), InputFile(str(path), True), 1 << 20)
