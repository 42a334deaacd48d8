"""Properties of the Config rule's pure parts: the event parser never fails but with MalformedEvent, and
every annotation fits PutEvaluations, whatever the input.

Config sends what it sends, and a Lambda invocation that dies of a TypeError says nothing about the
event; a MalformedEvent names the field. The events are the recorded fixtures with any one field, at
any depth, replaced by any JSON value, or their JSON strings (``invokingEvent``, ``ruleParameters``)
by any text.
"""

from __future__ import annotations

import copy
import json

from hypothesis import given, settings, strategies as st

from rumpolicy.aws_config.evaluate import ANNOTATION_LIMIT, annotation
from rumpolicy.aws_config.events import MalformedEvent, RuleEvent, parse_event
from rumpolicy.findings import Finding, Location, Severity
from tests.aws_config.conftest import EVENTS, load_event
from tests.conftest import examples

FIXTURES = sorted(path.stem for path in EVENTS.glob("*.json"))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)


def _paths(value, prefix=()):
    """Every place in a JSON value, as a path of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replaced(value, path, new):
    if not path:
        return new
    value = copy.deepcopy(value)
    holder = value
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return value


@st.composite
def mutated_events(draw):
    event = load_event(draw(st.sampled_from(FIXTURES)))
    invoking = json.loads(event["invokingEvent"])
    where = draw(st.sampled_from(["event", "invokingEvent", "text"]))
    if where == "event":
        path = draw(st.sampled_from(list(_paths(event))))
        return _replaced(event, path, draw(JSON))
    if where == "invokingEvent":
        path = draw(st.sampled_from(list(_paths(invoking))))
        return {**event, "invokingEvent": json.dumps(_replaced(invoking, path, draw(JSON)))}
    key = draw(st.sampled_from(["invokingEvent", "ruleParameters"]))
    return {**event, key: draw(st.text(max_size=40))}


@settings(max_examples=examples(400), deadline=None)
@given(mutated_events())
def test_the_parser_names_what_is_wrong_or_parses(event):
    try:
        parsed = parse_event(event)
    except MalformedEvent as exc:
        assert str(exc)
        return
    assert isinstance(parsed, RuleEvent)
    assert parsed.trigger in ("scheduled", "monitor", "pool", "role")


RULE_IDS = st.sampled_from(["RUM-TRUST-002", "RUM-PERM-004", "RUM-POOL-001", "RUM-SRC-001", "RUM-SRC-003"])
FINDINGS = st.lists(st.builds(lambda rule, message, severity: Finding(
    rule, "name", severity, message, "arn:aws:iam::123456789012:role/r", Location("aws://123456789012")),
    RULE_IDS, st.text(max_size=400), st.sampled_from(list(Severity))), max_size=6)


@settings(max_examples=examples(300), deadline=None)
@given(FINDINGS, st.lists(st.tuples(st.text(max_size=80), FINDINGS.filter(bool)), max_size=3))
def test_an_annotation_fits_put_evaluations_and_starts_with_a_rule_id(own, linked):
    if not own and not linked:
        return
    text = annotation(own, linked)
    assert 0 < len(text) <= ANNOTATION_LIMIT
    first = next(iter(own or linked[0][1])).rule_id
    assert text.removeprefix("not checked: ").startswith(first.split("-")[0])
