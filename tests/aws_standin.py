"""A loopback stand-in for AWS: serves RUM and Cognito Identity itself, forwards the rest to moto.

moto has no RUM backend, its Cognito Identity backend lacks ``GetIdentityPoolRoles`` and
``AllowClassicFlow``, and its Config backend takes ``PutEvaluations`` only in test mode and has no
``GetComplianceDetailsByConfigRule``. This server (``http.server`` on 127.0.0.1) therefore:

* **serves** ``rum`` (rest-json), ``cognito-identity`` and the rule-evaluation calls of ``config``
  (json 1.1) from its own per-account, per-region state. Requests are parsed by the service model's HTTP bindings and validated against
  the operation's input shape with botocore's ``ParamValidator`` (an invalid request gets a
  ``ValidationException``, so a product bug fails the test); responses and the data the tests put
  in are validated against the output shapes the same way;
* **plays AWS Config's side of a custom rule** (``invoke_token``, ``record_configuration_item``):
  it issues result tokens as Config does when it invokes a rule's function, and ``PutEvaluations``
  accepts only those, keeps the newest evaluation per (rule, resource) (by ``OrderingTimestamp``),
  stores nothing in test mode, refuses an annotation longer than the model allows, and can report
  evaluations as failed (``fail_evaluations``); ``GetComplianceDetailsByConfigRule`` answers from
  what was put, filtered and paginated; ``GetResourceConfigHistory`` from the recorded items;
* **forwards** every other service (IAM, STS, Organizations, Security Hub) unchanged to a moto server, learning
  from the ``AssumeRole`` responses that pass through which access key belongs to which account;
* **records** every call it sees (service, operation, account, region, status): the read-only test
  and the benchmark read this log, independently of the product's own guard. A forwarded rest-json
  call (Security Hub) is named by matching its route against the service model;
* **injects faults** per operation (``inject``): throttling, 5xx, or access denied, a given number
  of times or always, optionally only for one account or for requests with given parameters;
* **serves malformed bodies** per operation (``malform``): a fixed body (not JSON, JSON of the
  wrong shape) or the real answer rewritten, with status 200, as a broken endpoint or proxy would;
* **answers slowly** per operation (``delay``), at most ``MAX_DELAY`` seconds a call, so that a test
  of the audit's deadline cannot hang.

The calling account is resolved as AWS does, from the access key in the request's signature:
``testing`` (the tests' base credentials) is moto's default account; assumed-role keys map to the
account of the role. Signatures themselves are not verified (moto does not either).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.loaders
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

DEFAULT_ACCOUNT = "123456789012"      # moto's default account
BASE_ACCESS_KEY = "testing"
SERVED = ("rum", "cognito-identity", "config")
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
ASSUMED = re.compile(r"<AccessKeyId>([^<]+)</AccessKeyId>.*?<Arn>arn:[^:]+:sts::(\d{12}):assumed-role/", re.S)
TIMESTAMP = "2026-01-01T00:00:00Z"
ANY = "*"                 # a fault's service or operation that matches every one
MAX_DELAY = 5.0           # seconds: longer delays are refused, so a slow stand-in cannot hang a test
MALFORMED, SLOW = "malformed", "slow"
# Security Hub's documented GetFindings limits (AwsSecurityFindingFilters), which moto does not enforce.
SECURITY_HUB_FILTER_ATTRIBUTES, SECURITY_HUB_FILTER_VALUES = 10, 20
TEST_MODE_TOKEN = "TESTMODE"      # the result token of Config's test events: valid with TestMode only

# What each fault looks like, per protocol: (error code, HTTP status).
FAULTS = {
    "throttle": {"rest-json": ("ThrottlingException", 429), "json": ("TooManyRequestsException", 400),
                 "query": ("Throttling", 400)},
    "unavailable": {"rest-json": ("InternalServerException", 500), "json": ("InternalErrorException", 500),
                    "query": ("ServiceUnavailable", 503)},
    "denied": {"rest-json": ("AccessDeniedException", 403), "json": ("AccessDeniedException", 400),
               "query": ("AccessDenied", 403)},
}
# Cognito Identity answers a missing permission with NotAuthorizedException.
SERVICE_DENIED = {"cognito-identity": "NotAuthorizedException"}


def _epoch(value: Any) -> float:
    """A timestamp as the JSON protocols send it (epoch seconds) or as a test writes it (ISO 8601)."""
    if isinstance(value, (int, float)):
        return float(value)
    from botocore.utils import parse_timestamp

    return parse_timestamp(value).timestamp()


class ShapeError(AssertionError):
    """Data or a response does not conform to botocore's service model."""


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    account: str | None
    region: str
    status: int


@dataclass
class Fault:
    service: str                               # or ANY
    operation: str                             # or ANY
    kind: str                                  # a key of FAULTS, MALFORMED or SLOW
    times: int | None                          # None: every time
    account: str | None = None
    region: str | None = None
    match: dict[str, Any] = field(default_factory=dict)
    body: bytes | Callable[[bytes], bytes] | None = None    # MALFORMED: the body, or a rewrite of the real one
    seconds: float = 0.0                                    # SLOW: how long to wait before answering

    def applies(self, service: str, operation: str, account: str | None, region: str, params: dict) -> bool:
        if self.service not in (ANY, service) or self.operation not in (ANY, operation) or self.times == 0:
            return False
        if self.account is not None and account != self.account:
            return False
        if self.region is not None and region != self.region:
            return False
        return all(params.get(key) == value for key, value in self.match.items())


@dataclass
class _Region:
    account: str = ""
    name: str = ""
    monitors: dict[str, dict] = field(default_factory=dict)      # name -> AppMonitor
    policies: dict[str, dict] = field(default_factory=dict)      # name -> {PolicyDocument, PolicyRevisionId}
    pools: dict[str, dict] = field(default_factory=dict)         # id -> {"description": ..., "roles": ...}
    # (rule name, resource type, resource id) -> the EvaluationResult Config keeps (the newest)
    evaluations: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    # (resource type, resource id) -> ConfigurationItems as GetResourceConfigHistory returns them, oldest first
    history: dict[tuple[str, str], list[dict]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Invocation:
    """What Config knows about a result token it issued: the rule invoked, where, and when."""

    account: str
    region: str
    rule_name: str
    invoked: float


class AwsStandin:
    def __init__(self, backend_url: str):
        self.backend = urlsplit(backend_url)
        loader = self._loader = botocore.loaders.create_loader()
        self.models: dict[str, ServiceModel] = {}
        for service in SERVED:
            self.models[service] = ServiceModel(loader.load_service_model(service, "service-2"), service)
        self.validator = ParamValidator()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.keys: dict[str, str] = {BASE_ACCESS_KEY: DEFAULT_ACCOUNT}
        self.tokens: dict[str, _Invocation] = {}
        self._failing_evaluations = 0       # PutEvaluations calls still to answer with every evaluation failed
        self._state: dict[tuple[str, str], _Region] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AwsStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget every resource, evaluation, token, fault and call (a benchmark reuses one stand-in)."""
        with self._lock:
            self._state.clear()
            self.tokens.clear()
            self.faults.clear()
            self.calls.clear()
            self._failing_evaluations = 0

    # -- what the tests put in ------------------------------------------------------------------------
    def region(self, account: str, region: str) -> _Region:
        return self._state.setdefault((account, region), _Region(account, region))

    def add_app_monitor(self, account: str, region: str, name: str, *, pool_id: str | None = None,
                        guest_role_arn: str | None = None, domain: str = "example.com") -> dict:
        config: dict[str, Any] = {"AllowCookies": True, "SessionSampleRate": 1.0, "Telemetries": ["errors"]}
        if pool_id is not None:
            config["IdentityPoolId"] = pool_id
        if guest_role_arn is not None:
            config["GuestRoleArn"] = guest_role_arn
        monitor = {"Name": name, "Id": str(uuid.uuid4()), "Domain": domain, "DomainList": [domain],
                   "Created": TIMESTAMP, "LastModified": TIMESTAMP, "State": "ACTIVE", "Platform": "Web",
                   "AppMonitorConfiguration": config, "DataStorage": {"CwLog": {"CwLogEnabled": False}}}
        self._conform("rum", "GetAppMonitor", {"AppMonitor": monitor})
        self.region(account, region).monitors[name] = monitor
        return monitor

    def set_resource_policy(self, account: str, region: str, name: str, document: dict | str) -> None:
        text = document if isinstance(document, str) else json.dumps(document)
        policy = {"PolicyDocument": text, "PolicyRevisionId": str(uuid.uuid4())}
        self._conform("rum", "GetResourcePolicy", policy)
        self.region(account, region).policies[name] = policy

    def add_identity_pool(self, account: str, pool_id: str, *, allow_unauthenticated: bool = True,
                          allow_classic_flow: bool | None = None, unauthenticated_role: str | None = None,
                          name: str = "rum") -> None:
        region = pool_id.split(":", 1)[0]
        description: dict[str, Any] = {"IdentityPoolId": pool_id, "IdentityPoolName": name,
                                       "AllowUnauthenticatedIdentities": allow_unauthenticated}
        if allow_classic_flow is not None:
            description["AllowClassicFlow"] = allow_classic_flow
        roles: dict[str, Any] = {"IdentityPoolId": pool_id, "Roles": {}}
        if unauthenticated_role is not None:
            roles["Roles"]["unauthenticated"] = unauthenticated_role
        self._conform("cognito-identity", "DescribeIdentityPool", description)
        self._conform("cognito-identity", "GetIdentityPoolRoles", roles)
        self.region(account, region).pools[pool_id] = {"description": description, "roles": roles}

    def invoke_token(self, account: str, region: str, rule_name: str) -> str:
        """A result token, as Config puts in the event when it invokes ``rule_name``'s function."""
        token = f"standin-{uuid.uuid4()}"
        with self._lock:
            self.tokens[token] = _Invocation(account, region, rule_name, time.time())
        return token

    def record_configuration_item(self, account: str, region: str, item: dict) -> None:
        """Record a configuration item, shaped as GetResourceConfigHistory returns it (``configuration`` a JSON
        string), for that call to find."""
        self._conform("config", "GetResourceConfigHistory", {"configurationItems": [item]})
        with self._lock:
            key = (item["resourceType"], item["resourceId"])
            self.region(account, region).history.setdefault(key, []).append(item)

    def fail_evaluations(self, times: int = 1) -> None:
        """Answer the next ``times`` PutEvaluations calls with every evaluation in FailedEvaluations."""
        with self._lock:
            self._failing_evaluations += times

    def evaluations(self, account: str, region: str, rule_name: str) -> dict[tuple[str, str], dict]:
        """What Config holds for ``rule_name``: (resource type, resource id) -> EvaluationResult."""
        with self._lock:
            held = self.region(account, region).evaluations
            return {(t, i): result for (rule, t, i), result in held.items() if rule == rule_name}

    def inject(self, service: str, operation: str, kind: str, *, times: int | None = 1, account: str | None = None,
               region: str | None = None, **match: Any) -> Fault:
        """Answer ``service:operation`` with a fault ``times`` times (None: always), for requests of
        ``account`` in ``region`` whose parameters include ``match``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        fault = Fault(service, operation, kind, times, account, region, match)
        with self._lock:
            self.faults.append(fault)
        return fault

    def malform(self, service: str, operation: str, body: bytes | str | dict | list | Callable[[bytes], bytes], *,
                times: int | None = None, account: str | None = None, region: str | None = None,
                **match: Any) -> Fault:
        """Answer ``service:operation`` with status 200 and a malformed ``body``: bytes or text as they
        are, a dict or list as JSON (of a shape the service model does not allow), or a function that
        rewrites the real answer's body (e.g. one field of a forwarded IAM response)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        fault = Fault(service, operation, MALFORMED, times, account, region, match, body=body)
        with self._lock:
            self.faults.append(fault)
        return fault

    def delay(self, seconds: float, service: str = ANY, operation: str = ANY, *, times: int | None = None,
              account: str | None = None, region: str | None = None, **match: Any) -> Fault:
        """Answer ``service:operation`` (default: every call) ``seconds`` late, then as usual."""
        if not 0 < seconds <= MAX_DELAY:
            raise ValueError(f"a delay is more than 0 and at most {MAX_DELAY} seconds, not {seconds}")
        fault = Fault(service, operation, SLOW, times, account, region, match, seconds=seconds)
        with self._lock:
            self.faults.append(fault)
        return fault

    def operations(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(c.service, c.operation) for c in self.calls]

    def _conform(self, service: str, operation: str, value: dict) -> None:
        shape = self.models[service].operation_model(operation).output_shape
        report = self.validator.validate(value, shape)
        if report.has_errors():
            raise ShapeError(f"{service}:{operation} output does not conform: {report.generate_report()}")

    # -- HTTP ---------------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True      # headers and body go out in two writes: no 40 ms delayed ACKs

            def log_message(self, *args: Any) -> None:   # the tests' output stays readable
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = standin._handle(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        match = CREDENTIAL.search(headers.get("Authorization", ""))
        if match is None:
            return 403, {}, b'{"message": "request is not signed"}'
        access_key, region, service = match.groups()
        with self._lock:
            account = self.keys.get(access_key)
        protocol, operation, params = self._identify(service, method, path, headers, body)
        with self._lock:
            slow = self._take(lambda f: f.kind == SLOW, service, operation, account, region, params)
            fault = self._take(lambda f: f.kind != SLOW, service, operation, account, region, params)
        if slow is not None:
            time.sleep(slow.seconds)
        if fault is not None and fault.kind in FAULTS:
            status, reply_headers, payload = self._error(service, protocol, fault.kind, operation)
        elif service in SERVED:
            status, reply_headers, payload = self._serve(service, operation, account, region, params)
        elif (refusal := self._beyond_limits(service, operation, params)) is not None:
            status, reply_headers, payload = self._reply_error(service, protocol, "InvalidInputException", 400, refusal)
        else:
            status, reply_headers, payload = self._forward(method, path, headers, body)
            if operation == "AssumeRole" and status == 200:
                self._learn_key(payload)
        if fault is not None and fault.kind == MALFORMED:
            status = 200
            payload = fault.body(payload) if callable(fault.body) else fault.body
        with self._lock:
            self.calls.append(Call(service, operation, account, region, status))
        return status, reply_headers, payload

    @staticmethod
    def _beyond_limits(service: str, operation: str, params: dict) -> str | None:
        """What AWS refuses that moto takes: GetFindings filters on at most 10 attributes with at most 20 values
        each (AwsSecurityFindingFilters), BatchImportFindings takes at most 100 findings."""
        if service == "securityhub" and operation == "GetFindings":
            filters = params.get("Filters") or {}
            if len(filters) > SECURITY_HUB_FILTER_ATTRIBUTES:
                return f"you can filter by up to {SECURITY_HUB_FILTER_ATTRIBUTES} finding attributes, not {len(filters)}"
            for name, values in filters.items():
                if len(values) > SECURITY_HUB_FILTER_VALUES:
                    return (f"for each attribute you can provide up to {SECURITY_HUB_FILTER_VALUES} filter values; "
                            f"{name} has {len(values)}")
        if service == "securityhub" and operation == "BatchImportFindings" and len(params.get("Findings") or []) > 100:
            return "at most 100 findings per BatchImportFindings call"
        return None

    def _take(self, kind: Callable[[Fault], bool], service: str, operation: str, account: str | None, region: str,
              params: dict) -> Fault | None:
        """The first fault of that kind for this request, counted as used (the caller holds the lock)."""
        fault = next((f for f in self.faults if kind(f) and f.applies(service, operation, account, region, params)),
                     None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
        return fault

    def _identify(self, service: str, method: str, path: str, headers: dict[str, str],
                  body: bytes) -> tuple[str, str, dict]:
        """The protocol, operation name and request parameters of a request."""
        target = headers.get("X-Amz-Target")
        if target:
            return "json", target.rsplit(".", 1)[-1], json.loads(body or b"{}")
        if service in SERVED or self._model(service).metadata["protocol"] == "rest-json":
            return "rest-json", *self._route(service, method, path, body)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        return "query", form.get("Action", "?"), form

    def _model(self, service: str) -> ServiceModel:
        """The service model of a served or forwarded service (a forwarded rest-json call is named by its route)."""
        with self._lock:
            if service not in self.models:
                self.models[service] = ServiceModel(self._loader.load_service_model(service, "service-2"), service)
            return self.models[service]

    def _route(self, service: str, method: str, path: str, body: bytes) -> tuple[str, dict]:
        model = self._model(service)
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        for name in model.operation_names:
            operation = model.operation_model(name)
            if operation.http["method"] != method:
                continue
            template = operation.http["requestUri"].split("?", 1)[0]
            pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "/?$"
            found = re.match(pattern, url.path)
            if found is None:
                continue
            params: dict[str, Any] = json.loads(body) if body else {}
            for member, shape in operation.input_shape.members.items():
                location, wire = shape.serialization.get("location"), shape.serialization.get("name", member)
                if location == "uri":
                    params[member] = unquote(found.group(wire))
                elif location == "querystring" and wire in query:
                    params[member] = int(query[wire]) if shape.type_name == "integer" else query[wire]
            return name, params
        return "?", {}

    # -- served services --------------------------------------------------------------------------------
    def _serve(self, service: str, operation: str, account: str | None, region: str,
               params: dict) -> tuple[int, dict, bytes]:
        model = self.models[service]
        protocol = model.metadata["protocol"]
        if account is None:
            return self._reply_error(service, protocol, "UnrecognizedClientException", 403,
                                     "The security token included in the request is invalid.")
        handler = getattr(self, f"_{service.replace('-', '_')}_{operation}", None)
        if handler is None:
            return self._reply_error(service, protocol, "UnknownOperationException", 404,
                                     f"the stand-in does not serve {service}:{operation}")
        report = self.validator.validate(params, model.operation_model(operation).input_shape)
        if report.has_errors():
            return self._reply_error(service, protocol, "ValidationException", 400, report.generate_report())
        with self._lock:
            state = self.region(account, region)
            result = handler(state, params)
        if isinstance(result, tuple):
            code, message = result
            return self._reply_error(service, protocol, code, None, message)
        self._conform(service, operation, result)
        content_type = "application/json" if protocol == "rest-json" else "application/x-amz-json-1.1"
        return 200, {"Content-Type": content_type}, json.dumps(result).encode()

    def _rum_ListAppMonitors(self, state: _Region, params: dict) -> dict:
        names = sorted(state.monitors)
        start = int(params.get("NextToken") or 0)
        size = params.get("MaxResults", 10)
        summaries = [{key: state.monitors[n][key] for key in ("Name", "Id", "Created", "LastModified", "State",
                                                               "Platform")} for n in names[start:start + size]]
        result: dict[str, Any] = {"AppMonitorSummaries": summaries}
        if start + size < len(names):
            result["NextToken"] = str(start + size)
        return result

    def _rum_GetAppMonitor(self, state: _Region, params: dict) -> dict | tuple:
        monitor = state.monitors.get(params["Name"])
        if monitor is None:
            return "ResourceNotFoundException", f"app monitor {params['Name']} not found"
        return {"AppMonitor": monitor}

    def _rum_GetResourcePolicy(self, state: _Region, params: dict) -> dict | tuple:
        if params["Name"] not in state.monitors:
            return "ResourceNotFoundException", f"app monitor {params['Name']} not found"
        policy = state.policies.get(params["Name"])
        if policy is None:
            return "PolicyNotFoundException", f"app monitor {params['Name']} has no resource policy"
        return policy

    def _cognito_identity_DescribeIdentityPool(self, state: _Region, params: dict) -> dict | tuple:
        pool = state.pools.get(params["IdentityPoolId"])
        if pool is None:
            return "ResourceNotFoundException", f"IdentityPool '{params['IdentityPoolId']}' not found."
        return pool["description"]

    def _cognito_identity_GetIdentityPoolRoles(self, state: _Region, params: dict) -> dict | tuple:
        pool = state.pools.get(params["IdentityPoolId"])
        if pool is None:
            return "ResourceNotFoundException", f"IdentityPool '{params['IdentityPoolId']}' not found."
        return pool["roles"]

    # -- Config: a custom rule's evaluations -------------------------------------------------------------
    def _config_PutEvaluations(self, state: _Region, params: dict) -> dict | tuple:
        token = params.get("ResultToken", "")
        invocation = self.tokens.get(token)
        test_mode = params.get("TestMode") and token == TEST_MODE_TOKEN   # what Config's test events carry
        if not test_mode and (invocation is None or (invocation.account, invocation.region) != (state.account,
                                                                                                 state.name)):
            return "InvalidResultTokenException", "The resultToken provided is invalid"
        evaluations = params.get("Evaluations") or []
        model = self.models["config"]
        limit = model.shape_for("Evaluations").metadata["max"]
        if len(evaluations) > limit:
            return "InvalidParameterValueException", f"at most {limit} evaluations per call, not {len(evaluations)}"
        annotation_max = model.shape_for("Evaluation").members["Annotation"].metadata["max"]
        for evaluation in evaluations:
            if len(evaluation.get("Annotation") or "") > annotation_max:
                return "InvalidParameterValueException", (f"an annotation is at most {annotation_max} characters, "
                                                          f"not {len(evaluation['Annotation'])}")
        if self._failing_evaluations > 0:
            self._failing_evaluations -= 1
            return {"FailedEvaluations": evaluations}
        if params.get("TestMode"):
            return {"FailedEvaluations": []}
        now = time.time()
        for evaluation in evaluations:
            key = (invocation.rule_name, evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
            ordering = _epoch(evaluation["OrderingTimestamp"])
            held = state.evaluations.get(key)
            if held is not None and held["EvaluationResultIdentifier"]["OrderingTimestamp"] > ordering:
                continue        # Config keeps the evaluation with the newest OrderingTimestamp
            result = {"EvaluationResultIdentifier": {
                          "EvaluationResultQualifier": {"ConfigRuleName": invocation.rule_name,
                                                        "ResourceType": key[1], "ResourceId": key[2],
                                                        "EvaluationMode": "DETECTIVE"},
                          "OrderingTimestamp": ordering},
                      "ComplianceType": evaluation["ComplianceType"], "ResultRecordedTime": now,
                      "ConfigRuleInvokedTime": invocation.invoked, "ResultToken": params["ResultToken"]}
            if evaluation.get("Annotation"):
                result["Annotation"] = evaluation["Annotation"]
            state.evaluations[key] = result
        return {"FailedEvaluations": []}

    def _config_GetComplianceDetailsByConfigRule(self, state: _Region, params: dict) -> dict | tuple:
        wanted = set(params.get("ComplianceTypes") or ())
        results = [result for (rule, _, _), result in sorted(state.evaluations.items())
                   if rule == params["ConfigRuleName"] and (not wanted or result["ComplianceType"] in wanted)]
        start = int(params.get("NextToken") or 0)
        size = params.get("Limit") or 100
        answer: dict[str, Any] = {"EvaluationResults": results[start:start + size]}
        if start + size < len(results):
            answer["NextToken"] = str(start + size)
        return answer

    def _config_GetComplianceDetailsByResource(self, state: _Region, params: dict) -> dict | tuple:
        wanted = set(params.get("ComplianceTypes") or ())
        results = [result for (_, kind, resource), result in sorted(state.evaluations.items())
                   if (kind, resource) == (params["ResourceType"], params["ResourceId"])
                   and (not wanted or result["ComplianceType"] in wanted)]
        start = int(params.get("NextToken") or 0)
        answer: dict[str, Any] = {"EvaluationResults": results[start:start + 100]}
        if start + 100 < len(results):
            answer["NextToken"] = str(start + 100)
        return answer

    def _config_GetResourceConfigHistory(self, state: _Region, params: dict) -> dict | tuple:
        items = state.history.get((params["resourceType"], params["resourceId"]))
        if not items:
            return "ResourceNotDiscoveredException", (f"Resource {params['resourceId']} of resourceType:"
                                                      f"{params['resourceType']} is unknown or has not been discovered")
        later = _epoch(params["laterTime"]) if "laterTime" in params else None
        newest_first = [item for item in reversed(items)
                        if later is None or _epoch(item["configurationItemCaptureTime"]) <= later]
        return {"configurationItems": newest_first[:params.get("limit") or 10]}

    # -- errors ---------------------------------------------------------------------------------------
    def _error(self, service: str, protocol: str, kind: str, operation: str) -> tuple[int, dict, bytes]:
        code, status = FAULTS[kind][protocol]
        if kind == "denied":
            code = SERVICE_DENIED.get(service, code)
        message = f"injected {kind}: not allowed to call {service}:{operation} now"
        return self._reply_error(service, protocol, code, status, message)

    def _reply_error(self, service: str, protocol: str, code: str, status: int | None,
                     message: str) -> tuple[int, dict, bytes]:
        if protocol == "query":
            xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                   f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
            return status or 400, {"Content-Type": "text/xml"}, xml.encode()
        model = self.models.get(service)
        shape = model.shape_for(code) if model is not None and code in model.shape_names else None
        if status is None:
            status = shape.metadata.get("error", {}).get("httpStatusCode", 400) if shape is not None else 400
        error: dict[str, Any] = {"message": message}
        for member in shape.required_members if shape is not None else ():
            error.setdefault(member, "standin")
        if protocol == "rest-json":
            return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, json.dumps(error).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps({"__type": code, **error}).encode()

    # -- forwarding -----------------------------------------------------------------------------------
    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(self.backend.hostname, self.backend.port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            payload = response.read()
            kept = {k: v for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")}
            return response.status, kept, payload
        finally:
            connection.close()

    def _learn_key(self, payload: bytes) -> None:
        found = ASSUMED.search(payload.decode("utf-8", "replace"))
        if found is not None:
            with self._lock:
                self.keys[found.group(1)] = found.group(2)
