"""The event AWS Config invokes a custom rule's function with, parsed; nothing here calls AWS.

Config sends one JSON object: the rule (``configRuleName``, ``configRuleArn``, ``configRuleId``),
the account evaluated (``accountId``), the ``resultToken`` that ``PutEvaluations`` must return, and
two JSON *strings*: ``ruleParameters`` and ``invokingEvent``. The invoking event's ``messageType``
is one of

* ``ConfigurationItemChangeNotification``: the changed resource's ``configurationItem``, with its
  ``configuration`` as an object;
* ``OversizedConfigurationItemChangeNotification``: the item was too large for the event, so only
  its ``configurationItemSummary`` is sent; the handler fetches the item with
  ``GetResourceConfigHistory`` (``ConfigItem.from_history``: there ``configuration`` is a JSON string);
* ``ScheduledNotification``: periodic, no resource.

An event that is none of these, or lacks what a verdict needs, raises ``MalformedEvent`` naming the
field: Lambda reports the error and Config records the evaluation as failed, rather than a guessed
verdict.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from rumpolicy.records import value_type

CHANGE = "ConfigurationItemChangeNotification"
OVERSIZED = "OversizedConfigurationItemChangeNotification"
SCHEDULED = "ScheduledNotification"
MESSAGE_TYPES = (CHANGE, OVERSIZED, SCHEDULED)

MONITOR = "AWS::RUM::AppMonitor"
POOL = "AWS::Cognito::IdentityPool"
ROLE = "AWS::IAM::Role"
RESOURCE_TYPES = (MONITOR, POOL, ROLE)

# configurationItemStatus values that mean the resource is gone (or no longer recorded): NOT_APPLICABLE.
DELETED = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})
# The rule parameters, and FailOn's values.
PARAMETERS = ("FailOn", "Select", "Ignore")
FAIL_ON = ("error", "warning", "info")
TEST_MODE_TOKEN = "TESTMODE"


class MalformedEvent(ValueError):
    """The event is not one AWS Config sends for a custom rule: no verdict can be given."""


@value_type(slots=False)
class ConfigItem:
    """One configuration item, from an event or from GetResourceConfigHistory."""

    resource_type: str
    resource_id: str
    resource_name: str | None
    region: str | None             # "global" for IAM
    account: str | None
    status: str | None             # configurationItemStatus
    capture_time: str | None       # configurationItemCaptureTime, as sent (ISO 8601)
    arn: str | None
    configuration: dict | None
    summary_only: bool = False     # an oversized item that could not be fetched: no configuration

    @property
    def deleted(self) -> bool:
        return self.status in DELETED

    @classmethod
    def from_event(cls, item: Any, where: str, *, summary_only: bool = False) -> ConfigItem:
        if not isinstance(item, dict):
            raise MalformedEvent(f"{where} is not an object")
        configuration = item.get("configuration")
        return cls(_text(item, "resourceType", where), _text(item, "resourceId", where), item.get("resourceName"),
                   item.get("awsRegion"), item.get("awsAccountId"), item.get("configurationItemStatus"),
                   _time(item.get("configurationItemCaptureTime")), item.get("ARN") or item.get("arn"),
                   configuration if isinstance(configuration, dict) else None, summary_only)

    @classmethod
    def from_history(cls, item: dict) -> ConfigItem:
        """A GetResourceConfigHistory ConfigurationItem, as botocore parsed it."""
        text = item.get("configuration")
        try:
            configuration = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            configuration = None
        return cls(item.get("resourceType") or "", item.get("resourceId") or "", item.get("resourceName"),
                   item.get("awsRegion"), item.get("accountId"), item.get("configurationItemStatus"),
                   _time(item.get("configurationItemCaptureTime")), item.get("arn"),
                   configuration if isinstance(configuration, dict) else None)

    def trust_pool_ids(self) -> list[str]:
        """The pools a role's recorded trust policy names in ``cognito-identity.amazonaws.com:aud``.

        Config records ``assumeRolePolicyDocument`` URL-encoded, as IAM returns it."""
        document = (self.configuration or {}).get("assumeRolePolicyDocument")
        if isinstance(document, str):
            try:
                document = json.loads(unquote(document))
            except ValueError:
                return []
        return aud_pool_ids(document)


def aud_pool_ids(document: Any) -> list[str]:
    """Every value of ``cognito-identity.amazonaws.com:aud`` under any condition operator of a policy."""
    found: list[str] = []
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        conditions = statement.get("Condition") if isinstance(statement, dict) else None
        for operands in (conditions or {}).values() if isinstance(conditions, dict) else ():
            for key, values in (operands or {}).items() if isinstance(operands, dict) else ():
                if key.lower() == "cognito-identity.amazonaws.com:aud":
                    found += [v for v in (values if isinstance(values, list) else [values]) if isinstance(v, str)]
    return list(dict.fromkeys(found))


@value_type(slots=False)
class RuleEvent:
    """A custom rule's invocation: which rule, which account, what triggered it."""

    rule_name: str
    rule_arn: str | None
    account: str
    result_token: str
    left_scope: bool
    parameters: dict[str, str]
    message_type: str
    notification_time: str | None
    item: ConfigItem | None        # None for a scheduled notification

    @property
    def test_mode(self) -> bool:
        return self.result_token == TEST_MODE_TOKEN

    @property
    def fail_on(self) -> str:
        return self.parameters.get("FailOn", "error")

    def rule_ids(self, name: str) -> list[str] | None:
        """Select or Ignore as a list of rule ids; None when the parameter is not given."""
        value = self.parameters.get(name)
        if value is None:
            return None
        return [part.strip() for part in value.split(",") if part.strip()]

    @property
    def trigger(self) -> str:
        if self.item is None:
            return "scheduled"
        return {MONITOR: "monitor", POOL: "pool", ROLE: "role"}.get(self.item.resource_type, "other")


def parse_event(event: Any) -> RuleEvent:
    """The event as Config sends it; MalformedEvent for anything else."""
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not a JSON object")
    invoking = _json_field(event, "invokingEvent")
    parameters = _json_field(event, "ruleParameters", default={})
    if not all(isinstance(v, str) for v in parameters.values()):
        raise MalformedEvent("ruleParameters: every value must be a string")
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise MalformedEvent(f"ruleParameters: unknown parameter {unknown[0]!r} (the rule takes "
                             f"{', '.join(PARAMETERS)})")
    if parameters.get("FailOn", "error") not in FAIL_ON:
        raise MalformedEvent(f"ruleParameters: FailOn is {parameters['FailOn']!r}, not one of {', '.join(FAIL_ON)}")
    message_type = invoking.get("messageType")
    if message_type not in MESSAGE_TYPES:
        raise MalformedEvent(f"invokingEvent.messageType is {message_type!r}, not one of {', '.join(MESSAGE_TYPES)}")
    item = None
    if message_type == CHANGE:
        item = ConfigItem.from_event(invoking.get("configurationItem"), "invokingEvent.configurationItem")
    elif message_type == OVERSIZED:
        item = ConfigItem.from_event(invoking.get("configurationItemSummary"),
                                     "invokingEvent.configurationItemSummary", summary_only=True)
    if item is not None and item.resource_type not in RESOURCE_TYPES:
        raise MalformedEvent(f"the rule evaluates {', '.join(RESOURCE_TYPES)}, not {item.resource_type}")
    left = event.get("eventLeftScope", False)
    if not isinstance(left, bool):
        raise MalformedEvent("eventLeftScope is not a boolean")
    return RuleEvent(_text(event, "configRuleName", "the event"), event.get("configRuleArn"),
                     _text(event, "accountId", "the event"), _text(event, "resultToken", "the event"), left,
                     parameters, message_type, _time(invoking.get("notificationCreationTime")), item)


def _json_field(event: dict, key: str, default: Any = None) -> dict:
    text = event.get(key)
    if text is None and default is not None:
        return default
    if not isinstance(text, str):
        raise MalformedEvent(f"{key} is not a JSON string")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise MalformedEvent(f"{key} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise MalformedEvent(f"{key} is not a JSON object")
    return value


def _text(container: dict, key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{where} has no {key}")
    return value


def _time(value: Any) -> str | None:
    """A timestamp as text: events carry ISO 8601; botocore parses GetResourceConfigHistory's into datetimes."""
    if value is None or isinstance(value, str):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)
