"""The web client's configuration -> ``WebClientConfig``: how a site starts aws-rum-web.

Three forms are read, each recognized by content:

* the CDN snippet (HTML ``<script>`` elements and JavaScript files): the console's loader function
  called with ``('cwr', APP_MONITOR_ID, APP_VERSION, REGION, CLIENT_URL, {config})``. The client URL
  tells the build (``cwr.js`` full, ``cwr-slim.js`` slim) and usually the version
  (``https://client.rum.us-east-1.amazonaws.com/3.2.0/cwr.js``, ``.../1.x/cwr.js``).
* the npm form (JavaScript, TypeScript, JSX/TSX): ``new AwsRum(APP_MONITOR_ID, APP_VERSION, REGION,
  config)`` with ``AwsRum`` imported (or required) from ``aws-rum-web`` (full build) or
  ``@aws-rum/web-slim`` (slim). Arguments may be identifiers bound by ``const`` in the same file.
  Build and version come from the import, else the nearest ``package.json`` with one of these
  packages (and its ``package-lock.json`` for the exact version).
* a JSON config file (JSON, or JSON5 with comments, trailing commas and unquoted keys): one object
  with ``applicationId`` and the client's config keys side by side, plus optional
  ``applicationVersion``, ``applicationRegion``, and rumpolicy's own ``appMonitorName`` (links the client
  to the app monitor of that name), ``clientBuild`` (``full``/``slim``) and ``clientVersion``.

A comment ``rumpolicy: app-monitor=NAME`` (HTML or JavaScript) names the app monitor of the next client
that follows it, for inputs where the monitor's Id is only known after deployment.

Values of the wrong type (``"identityPoolId": ["..."]``, ``"endpoint": 5``) are problems of the file
(RUM-SRC-000) and are not known to the rules. For a signing full-build client without ``identityPoolId``,
the scripts and pages of its web project are searched for ``setAwsCredentials`` (RUM-CLIENT-007).

Pointers (the ``pointer`` of every finding's location): in JSON config files, RFC 6901 pointers into the
document (``/identityPoolId``, ``/cookieAttributes/unique``). In HTML and JavaScript, ``/cwr`` for the
CDN snippet and ``/AwsRum`` for the constructor (``/cwr#2``, ``/AwsRum#2`` ... for the second and later
calls of a file), followed by the argument (``/applicationId``, ``/applicationVersion``,
``/applicationRegion``, ``/clientUrl``, ``/config``) and, below ``/config``, the keys of the config object
(``/cwr/config/identityPoolId``, ``/AwsRum/config/cookieAttributes/unique``); ``/AwsRum/package`` is the
import that tells the build, ``/csp`` (``/csp#2`` ...) a Content-Security-Policy ``<meta>`` element.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from rumpolicy.findings import Location, Span, escape_pointer_token
from rumpolicy.load.source import DEFAULT_MAX_BYTES, FileBytes, ParsedSource, SourceError, read_text
from rumpolicy.load.suppressions import comment_marks
from rumpolicy.load.web_projects import CONFIG_RECOGNIZED_BY, WebProjects, is_client_config
from rumpolicy.model.inputs import InputFile, UndecidedCheck
from rumpolicy.model.policy import Node, Problem, type_name
from rumpolicy.model.resources import Inventory, WebClientConfig
from rumpolicy.model.symbols import Unknown
from rumpolicy.paths import present
from rumpolicy.records import record, value_type

# Bytes that a file holding a RUM web client contains; files without any of them are not parsed.
MARKERS = (b"AwsRum", b"aws-rum-web", b"@aws-rum/", b"identityPoolId", b"cwr(", b"cwr.js", b"cwr-slim.js")
SOURCE_KIND = "web-client"
CONFIG_KIND = "web-client-config"
CDN_ARGUMENTS = ("namespace", "applicationId", "applicationVersion", "applicationRegion", "clientUrl", "config",
                 "remoteConfig")
NPM_ARGUMENTS = ("applicationId", "applicationVersion", "applicationRegion", "config")
GRAMMARS = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
# https://dataplane.rum.<region>.<DNS suffix of the region's partition>
DATAPLANE_HOST = re.compile(r"^dataplane\.rum\.(?P<region>[a-z0-9-]+)\.(amazonaws\.com(\.cn)?|amazonaws\.eu|"
                            r"c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)\.?$")
CLIENT_URL_VERSION = (re.compile(r"/(?P<version>\d+(?:\.(?:\d+|x|\*)){0,2})/cwr(?:-slim)?(?:\.min)?\.js(?:[?#]|$)"),
                      re.compile(r"(?:aws-rum-web|web-slim)@(?P<version>[0-9][\w.*-]*)"))
DIRECTIVE = re.compile(r"rumpolicy:\s*app-monitor\b(?P<rest>.*)", re.S)
DIRECTIVE_NAME = re.compile(r"^\s*[=:]?\s*(?P<name>[.\-_#/A-Za-z0-9]+)(\s|-->|\*/|$)")
MAX_PACKAGE_LEVELS = 32
# The type aws-rum-web expects of each value rumpolicy reads (its `AwsRumConfig` and constructor
# arguments; rumpolicy's own JSON config keys). A value of another type is a RUM-SRC-000 error, never a
# pass: `"identityPoolId": ["us-east-1:..."]` gives the client no pool it can use. Null (`undefined` in
# JavaScript) is the client's "not set" and stays allowed.
STRING = (str, "a string")
BOOLEAN = (bool, "a boolean (true or false)")
OBJECT = (dict, "an object")
ARGUMENT_TYPES = {"applicationId": STRING, "applicationVersion": STRING, "applicationRegion": STRING}
CONFIG_TYPES = {"identityPoolId": STRING, "guestRoleArn": STRING, "endpoint": STRING, "alias": STRING,
                "signing": BOOLEAN, "cookieAttributes": OBJECT}
COOKIE_TYPES = {"unique": BOOLEAN}
OWN_CONFIG_TYPES = {"appMonitorName": STRING, "clientBuild": STRING, "clientVersion": STRING}


@value_type
class WrongType(Unknown):
    """A value of the wrong type: reported once as RUM-SRC-000 by the loader; the rules pass it over."""


def _typed(name: str, value: Any, expected: tuple[type, str], where: Location, problems: list[Problem]) -> Any:
    """``value`` when it has the expected type (or is not known, or null); else a ``WrongType`` and a problem."""
    kind, what = expected
    if value is None or isinstance(value, Unknown) or isinstance(value, kind):
        return value
    problems.append(Problem(f"`{name}` must be {what}, not {type_name(value)}", where))
    return WrongType(f"`{name}` is {type_name(value)}, not {what}")


def worth_parsing(path: str, max_bytes: int, data: FileBytes | None = None) -> bool:
    """A walked web file is parsed only when it is within the size limit and mentions the RUM client
    (minified vendor bundles above the limit, and the app's other sources, are passed over).

    ``data``: the file's bytes as the loader reads them, so that the sniff is not a read of its own.
    """
    data = data or FileBytes(path, max_bytes)
    try:
        content = data.raw()
    except SourceError:
        return not data.too_large      # let the real read report any other problem
    return any(marker in content for marker in MARKERS)


# --- loading --------------------------------------------------------------------------------------------


def load_web_source(path: str, file: InputFile, max_bytes: int, walked: bool, *, data: FileBytes | None = None,
                    projects: WebProjects | None = None) -> Inventory | None:
    """The clients of one HTML, JavaScript or TypeScript file. None: walked past, not a client source
    (the file is then not part of the run); errors are recorded on ``file``.

    ``data``: the file's bytes, when the caller has already looked at them; ``projects``: the run's reads
    of the web projects (else the project around the file is read for this file alone).
    """
    data = data or FileBytes(path, max_bytes)
    if walked and not worth_parsing(path, max_bytes, data):
        return None
    try:
        text = data.text()
        file.marks.extend(comment_marks(path, text))
        clients = _Source(path, text, file, max_bytes, projects).clients()
    except SourceError as error:
        file.error = error.message
        file.error_location = Location(path, "", error.span)
        return Inventory()
    if clients:
        file.kind = SOURCE_KIND
    elif walked and not file.problems:
        return None
    return _inventory(clients)


def load_client_config(parsed: ParsedSource, file: InputFile, max_bytes: int = DEFAULT_MAX_BYTES, *,
                       projects: WebProjects | None = None) -> Inventory:
    """A JSON config file that ``is_client_config`` recognized."""
    file.kind = CONFIG_KIND
    projects = projects or WebProjects(max_bytes, deferred=False)
    client = _config_client(parsed.path, parsed.data, parsed.span_for, file.problems, projects)
    _project_credentials(client, projects)
    return _inventory([client])


def load_json5_client_config(path: str, file: InputFile, max_bytes: int, *, text: str | None = None,
                             projects: WebProjects | None = None) -> Inventory | None:
    """A config file that is not strict JSON but JSON5 (comments, trailing commas ...). None: it is not a
    web client config at all, and ``file`` keeps the JSON error it had.

    ``text``: the file's text when the caller has read it (and collected its suppression comments).
    """
    if text is None:
        try:
            text = read_text(path, max_bytes=max_bytes)
        except SourceError:
            return None
        file.marks.extend(comment_marks(path, text))
    if not _without_leading_comments(text).startswith("{") or "applicationId" not in text \
            or not any(key in text for key in CONFIG_RECOGNIZED_BY):
        return None
    import json5

    try:
        data = json5.loads(text)
    except Exception as error:  # json5 raises ValueError, and RecursionError on deep nesting
        span = _json5_error_span(str(error))
        file.error = f"invalid JSON5: {_json5_error_message(str(error))}"
        file.error_location = Location(path, "", span)
        return Inventory()
    if not is_client_config(data):
        return None
    file.error, file.error_location = None, None
    file.kind = CONFIG_KIND
    spans = _json5_spans(text)
    projects = projects or WebProjects(max_bytes, deferred=False)
    client = _config_client(path, data, _lookup(spans), file.problems, projects)
    _project_credentials(client, projects)
    return _inventory([client])


def _without_leading_comments(text: str) -> str:
    """The text from its first token on: JSON5 allows `//` and `/* */` comments before the value."""
    text = text.lstrip("\ufeff \t\r\n")
    while text.startswith(("//", "/*")):
        end = text.find("\n") if text.startswith("//") else text.find("*/") + 1
        if end <= 0:
            return ""
        text = text[end + 1:].lstrip(" \t\r\n")
    return text


def _json5_error_span(message: str) -> Span | None:
    match = re.search(r":(\d+) .* at column (\d+)", message)
    return Span(int(match.group(1)), int(match.group(2))) if match else None


def _json5_error_message(message: str) -> str:
    return re.sub(r"^<string>:\d+ ", "", message)


def _json5_spans(text: str) -> dict[str, Span]:
    """The position of every key and item of a JSON5 document: JSON5 is JavaScript's literal syntax, so
    tree-sitter's JavaScript grammar reads it (as a parenthesized expression, shifted back by one)."""
    from rumpolicy.load.webclient_js import Evaluation, Evaluator, Script

    script = Script("(" + text + "\n)", line=1, column=-1)
    script.parse()
    statement = script.tree.root_node.named_children[0] if script.tree.root_node.named_child_count else None
    expression = statement.named_children[0] if statement is not None and statement.named_child_count else None
    evaluation = Evaluation()
    if expression is not None:
        Evaluator(script, evaluation).value(expression, "")
    return evaluation.spans


def _lookup(spans: dict[str, Span]) -> Callable[[str], Span | None]:
    def span_for(pointer: str) -> Span | None:
        while True:
            span = spans.get(pointer)
            if span is not None or not pointer:
                return span
            pointer = pointer[: max(pointer.rfind("/"), 0)]

    return span_for


# Facts the rules need; an unresolved one is reported once here (RUM-SRC-001) and the rules pass it over.
NEEDED = (("application_id", "the application id"), ("region", "the region"),
          ("identity_pool_id", "`identityPoolId`"), ("guest_role_arn", "`guestRoleArn`"), ("endpoint", "`endpoint`"),
          ("signing", "`signing`"), ("cookie_unique", "`cookieAttributes.unique`"), ("build", "the build"))


def _inventory(clients: list[WebClientConfig]) -> Inventory:
    """The clients, with a note for every fact of theirs that is not a literal."""
    inventory = Inventory(web_clients=clients)
    for client in clients:
        for field_name, label in NEEDED:
            node = getattr(client, field_name)
            if node is not None and isinstance(node.value, Unknown) and not isinstance(node.value, WrongType):
                inventory.undecided.append(UndecidedCheck(
                    None, client.subject, f"{label} of the web client is not known ({node.value.reason}), so the "
                    "checks that need it were not made", node.location))
        if client.build is None:
            inventory.undecided.append(UndecidedCheck(
                None, client.subject, "whether this is the full (aws-rum-web, cwr.js) or the slim (@aws-rum/web-slim, "
                "cwr-slim.js) build of the web client could not be told, so the checks that depend on it were not "
                "made" + (" (`clientBuild` says it)" if client.form == "json" else ""), client.location))
        if client.config_open is not None:
            inventory.undecided.append(UndecidedCheck(
                None, client.subject,
                f"the web client's config is not fully known ({client.config_open.value.reason}), "
                "so the checks that depend on keys it does not write were not made", client.config_open.location))
    return inventory


# --- HTML and JavaScript --------------------------------------------------------------------------------


@record
class _Found:
    """One client call, evaluated, before it becomes a ``WebClientConfig``."""

    call: Any
    script: Any
    span: Span


class _Source:
    """One HTML, JavaScript or TypeScript file."""

    def __init__(self, path: str, text: str, file: InputFile, max_bytes: int = DEFAULT_MAX_BYTES,
                 projects: WebProjects | None = None):
        self.path = path
        self.text = text
        self.file = file
        self.max_bytes = max_bytes
        self.ordinals: dict[str, int] = {}
        self.projects = projects or WebProjects(max_bytes, deferred=False)

    def clients(self) -> list[WebClientConfig]:
        if not any(marker.decode() in self.text for marker in MARKERS):
            return []
        from rumpolicy.load.webclient_js import Script

        suffix = Path(self.path).suffix.lower()
        comments: list[tuple[Span, str]] = []
        policies: list[tuple[Span, str]] = []
        if suffix in (".html", ".htm"):
            from rumpolicy.load.webclient_html import Page   # html.parser only when a page is read

            page = Page()
            try:
                page.feed(self.text)
                page.close()
            except Exception as error:  # html.parser is lenient; anything it still raises is about the input
                raise SourceError(f"cannot parse HTML: {error}") from None
            scripts = [Script(text, line=line, column=column) for line, column, text in page.scripts]
            comments.extend(page.comments)
            policies = page.policies
        else:
            scripts = [Script(self.text, grammar=GRAMMARS.get(suffix, "javascript"))]
        found: list[_Found] = []
        commands: set[str] = set()
        for script in scripts:
            if not any(marker.decode() in script.text for marker in MARKERS):
                continue
            script.parse()
            calls, script_comments, script_commands = script.scan()
            comments.extend(script_comments)
            commands |= script_commands
            for call in calls:
                found.append(_Found(call, script, script.span(call.node)))
            if not calls and script.tree.root_node.has_error and re.search(r"AwsRum(Client)?\b", script.text):
                self._syntax_problem(script, script.tree.root_node, "the RUM web client in this file could not be "
                                                                    "read")
        clients = [self._client(f, commands) for f in found]
        csp = [Node(content, Location(self.path, "/csp" if i == 0 else f"/csp#{i + 1}", span))
               for i, (span, content) in enumerate(policies)]
        for client in clients:
            client.content_security_policies = list(csp)
        self._directives(found, clients, comments)
        return clients

    def _syntax_problem(self, script, node, what: str) -> None:
        error = _first_error(node)
        if error is not None:
            self.file.problems.append(Problem(f"syntax error: {what}", Location(self.path, "", script.span(error))))

    def _client(self, found: _Found, commands: set[str]) -> WebClientConfig:
        from rumpolicy.load.webclient_js import Evaluation, Evaluator

        call, script = found.call, found.script
        name = "cwr" if call.form == "cdn" else "AwsRum"
        self.ordinals[name] = self.ordinals.get(name, 0) + 1
        root = f"/{name}" if self.ordinals[name] == 1 else f"/{name}#{self.ordinals[name]}"
        if call.node.has_error:
            self._syntax_problem(script, call.node, "the RUM web client call is read only in part")
        evaluation = Evaluation()
        evaluator = Evaluator(script, evaluation)
        evaluation.spans[root] = found.span
        names = CDN_ARGUMENTS if call.form == "cdn" else NPM_ARGUMENTS
        values: dict[str, Any] = {}
        for i, argument in enumerate(call.arguments[: len(names)]):
            pointer = f"{root}/{names[i]}"
            if argument.type == "spread_element":
                evaluation.spans[pointer] = script.span(argument)
                for rest in names[i:]:
                    values[rest] = Unknown("the arguments are spread from an array")
                break
            values[names[i]] = evaluator.value(argument, pointer)
        span_for = _lookup(evaluation.spans)
        config = values.get("config", {})
        config_pointer = f"{root}/config"
        opened = evaluation.open_objects.get(config_pointer)
        open_node = Node(Unknown(f"{opened[0]} may set other keys"), Location(self.path, config_pointer, opened[1])) \
            if opened else None
        if call.form == "cdn" and isinstance(values.get("remoteConfig"), str):
            open_node = Node(Unknown("a remote config may set other keys"),
                             Location(self.path, f"{root}/remoteConfig", span_for(f"{root}/remoteConfig")))
        client = _build(self.path, call.form, root, values, config, config_pointer,
                        lambda p: Location(self.path, p, span_for(p)), open_node, evaluation.open_objects,
                        self.file.problems)
        client.sets_credentials = "setAwsCredentials" in commands
        client.signing_factory = "setSigningConfigFactory" in commands
        if call.form == "cdn":
            _cdn_build(client, values.get("clientUrl"), Location(self.path, f"{root}/clientUrl",
                                                                 span_for(f"{root}/clientUrl")))
        elif call.build is not None:
            client.build = Node(call.build, Location(self.path, f"{root}/package", call.build_span))
        _package_facts(client, self.path, self.projects)
        if client.sets_credentials:
            client.project_sets_credentials = True
        elif _needs_credentials_call(client):
            self.projects.credentials(client)
        return client

    def _directives(self, found: list[_Found], clients: list[WebClientConfig],
                    comments: list[tuple[Span, str]]) -> None:
        """``rumpolicy: app-monitor=NAME`` names the monitor of the next client after the comment."""
        events: list[tuple[Span, int, Any]] = [(f.span, 1, c) for f, c in zip(found, clients)]
        for span, text in comments:
            match = DIRECTIVE.search(text)
            if match is None:
                continue
            name = DIRECTIVE_NAME.match(match.group("rest"))
            if name is None:
                self.file.problems.append(Problem("`rumpolicy: app-monitor` needs the app monitor's name, as in "
                                                  "`rumpolicy: app-monitor=web`", Location(self.path, "", span)))
                continue
            events.append((span, 0, name.group("name")))
        pending: tuple[Span, str] | None = None
        for span, order, item in sorted(events, key=lambda e: (e[0].line, e[0].column, e[1])):
            if order == 0:
                pending = (span, item)
            elif pending is not None:
                item.monitor_name = Node(pending[1], Location(self.path, item.location.pointer, pending[0]))
                pending = None


def _first_error(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None


# --- building the model ---------------------------------------------------------------------------------


def _config_client(path: str, data: dict, span_for: Callable[[str], Span | None],
                   problems: list[Problem], projects: WebProjects) -> WebClientConfig:
    values = {key: data[key] for key in ("applicationId", "applicationVersion", "applicationRegion") if key in data}
    client = _build(path, "json", "", values, data, "", lambda p: Location(path, p, span_for(p)), None, {}, problems)
    client.sets_credentials = None          # the code that reads the file is not part of the input
    client.signing_factory = None
    own = {}
    for key, expected in OWN_CONFIG_TYPES.items():
        if key in data:
            where = Location(path, f"/{key}", span_for(f"/{key}"))
            own[key] = Node(_typed(key, data[key], expected, where, problems), where)
    if "appMonitorName" in own:
        client.monitor_name = own["appMonitorName"]
    if "clientBuild" in own:
        build = own["clientBuild"]
        if isinstance(build.value, str) and build.value not in ("full", "slim"):
            problems.append(Problem(f"`clientBuild` must be `full` or `slim`, not `{build.value}`", build.location))
            build = Node(WrongType(f"`clientBuild` {build.value!r} is neither `full` nor `slim`"), build.location)
        client.build = build
    if "clientVersion" in own and isinstance(own["clientVersion"].value, str):
        client.client_version = own["clientVersion"]
    _package_facts(client, path, projects)
    return client


def _build(path: str, form: str, root: str, values: dict, config: Any, config_pointer: str,
           at: Callable[[str], Location], open_node: Node | None, open_objects: dict,
           problems: list[Problem]) -> WebClientConfig:
    def argument(name: str) -> Node | None:
        if name not in values:
            return None
        where = at(f"{root}/{name}")
        return Node(_typed(name, values[name], ARGUMENT_TYPES[name], where, problems), where)

    def key(name: str) -> Node | None:
        if not isinstance(config, dict) or name not in config:
            return None
        where = at(f"{config_pointer}/{escape_pointer_token(name)}")
        return Node(_typed(name, config[name], CONFIG_TYPES[name], where, problems), where)

    application_id = argument("applicationId")
    literal_id = application_id.value if application_id is not None and isinstance(application_id.value, str) else None
    where = at(root)
    place = f"{path}:{where.line}" if where.line else path
    subject = f"web client {literal_id} at {place}" if literal_id else f"web client at {place}"
    client = WebClientConfig(subject, where, "web client" if form != "json" else CONFIG_KIND, form=form,
                             application_id=application_id, application_version=argument("applicationVersion"),
                             region=argument("applicationRegion"))
    if isinstance(config, Unknown):
        client.config_open = Node(config, at(config_pointer))
        return client
    if config is not None and not isinstance(config, dict):
        client.config_open = Node(Unknown("the config is not an object"), at(config_pointer))
        return client
    client.config_open = open_node
    client.identity_pool_id = key("identityPoolId")
    client.guest_role_arn = key("guestRoleArn")
    client.endpoint = key("endpoint")
    client.signing = key("signing")
    client.alias = key("alias")
    attributes = key("cookieAttributes")
    if attributes is not None:
        pointer = f"{config_pointer}/cookieAttributes"
        if isinstance(attributes.value, dict) and "unique" in attributes.value:
            where = at(f"{pointer}/unique")
            client.cookie_unique = Node(_typed("cookieAttributes.unique", attributes.value["unique"],
                                               COOKIE_TYPES["unique"], where, problems), where)
        elif isinstance(attributes.value, Unknown) and not isinstance(attributes.value, WrongType):
            client.cookie_unique = Node(attributes.value, attributes.location)
        elif pointer in open_objects:
            why, span = open_objects[pointer]
            client.cookie_unique = Node(Unknown(f"{why} may set `unique`"), Location(path, pointer, span))
    _endpoint_facts(client)
    return client


def _endpoint_facts(client: WebClientConfig) -> None:
    value = client.endpoint.value if client.endpoint is not None else None
    if not isinstance(value, str) or not value:
        return
    try:
        host = (urlsplit(value.strip()).hostname or "").lower()
    except ValueError:
        host = ""
    match = DATAPLANE_HOST.match(host)
    if match:
        client.dataplane_region = match.group("region")
    else:
        client.proxy_endpoint = True


def _cdn_build(client: WebClientConfig, url: Any, where: Location) -> None:
    if not isinstance(url, str):
        return
    path = urlsplit(url).path if "//" in url else url
    name = path.rsplit("/", 1)[-1].lower()
    if re.fullmatch(r"cwr-slim(\.min)?\.js", name):
        client.build = Node("slim", where)
    elif re.fullmatch(r"cwr(\.min)?\.js", name):
        client.build = Node("full", where)
    for pattern in CLIENT_URL_VERSION:
        match = pattern.search(url)
        if match:
            client.client_version = Node(match.group("version"), where)
            return


# --- setAwsCredentials in the web project ---------------------------------------------------------------


def _needs_credentials_call(client: WebClientConfig) -> bool:
    """Only a signing full-build client without `identityPoolId` depends on `setAwsCredentials`; the
    project is read for no other (reading it for every page of a large site would cost a walk each)."""
    pool = client.identity_pool_id
    full = client.build is not None and client.build.value == "full"
    return full and client.signs is True and client.config_open is None and (pool is None or pool.value in (None, ""))


def _project_credentials(client: WebClientConfig, projects: WebProjects) -> None:
    """A JSON config: a project file that calls setAwsCredentials settles it; else the code that starts
    the client may be outside the input, so it stays not known."""
    if _needs_credentials_call(client):
        projects.credentials(client, only_when_found=True)


# --- package.json: build, version and the web project the client belongs to --------------------------


def _package_facts(client: WebClientConfig, path: str, projects: WebProjects) -> None:
    """The client's web project (its origin group) and, when the file does not tell, build and version.

    The project is the nearest folder with a ``package.json`` (else the file's own folder). Build and
    version come from the nearest ``package.json`` that depends on ``aws-rum-web`` or
    ``@aws-rum/web-slim`` (one of them, not both), the exact version from a ``package-lock.json`` beside
    or above it. The search stops at a repository root (a folder with ``.git``).
    """
    folders = _folders_up(path)
    client.origin = str(folders[0][0])
    project_found = False
    for level, (folder, shown) in enumerate(folders):
        manifest = folder / "package.json"
        if present(manifest, file=True) and not project_found:
            client.origin = str(folder)
            project_found = True
        parsed = projects.package(manifest, os.path.join(shown, "package.json"))
        if parsed is not None and _rum_dependency(client, parsed, folders[level:], projects):
            return


def _folders_up(path: str) -> list[tuple[Path, str]]:
    """The file's folder and those above it up to a repository root (a folder with ``.git``), each as a
    real path and as findings show it: relative to the file's path as the user gave it."""
    real = Path(path).resolve().parent
    given = os.path.dirname(path)
    out: list[tuple[Path, str]] = []
    for level, folder in enumerate((real, *real.parents)):
        if level >= MAX_PACKAGE_LEVELS:
            break
        out.append((folder, os.path.normpath(os.path.join(given, *([".."] * level)))))
        if present(folder / ".git"):
            break
    return out


def _rum_dependency(client: WebClientConfig, parsed: ParsedSource, folders: list[tuple[Path, str]],
                    projects: WebProjects) -> bool:
    found = []
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        deps = parsed.data.get(section) if isinstance(parsed.data, dict) else None
        if not isinstance(deps, dict):
            continue
        for package, build in (("aws-rum-web", "full"), ("@aws-rum/web-slim", "slim")):
            if isinstance(deps.get(package), str):
                pointer = f"/{section}/{escape_pointer_token(package)}"
                found.append((package, build, deps[package], Location(parsed.path, pointer, parsed.span_for(pointer))))
    if not found:
        return False
    builds = {build for _, build, _, _ in found}
    if client.build is None and len(builds) == 1:
        client.build = Node(builds.pop(), found[0][3])
    if client.client_version is None:
        wanted = next((f for f in found if client.build is None or f[1] == client.build.value), None)
        if wanted is not None:
            package, _, spec, where = wanted
            client.client_version = _locked_version(package, folders, projects) or Node(spec, where)
    return True


def _locked_version(package: str, folders: list[tuple[Path, str]], projects: WebProjects) -> Node | None:
    for folder, shown in folders:
        parsed = projects.package(folder / "package-lock.json", os.path.join(shown, "package-lock.json"))
        if parsed is not None and isinstance(parsed.data, dict):
            for pointer in (f"/packages/node_modules~1{escape_pointer_token(package)}/version",
                            f"/dependencies/{escape_pointer_token(package)}/version"):
                value = _at(parsed.data, pointer)
                if isinstance(value, str):
                    return Node(value, Location(parsed.path, pointer, parsed.span_for(pointer)))
    return None


def _at(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(data, dict) or token not in data:
            return None
        data = data[token]
    return data
