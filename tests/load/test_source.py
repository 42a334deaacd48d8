"""Reading and parsing one input file: values, source maps, and refusal of hostile or broken input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from textwrap import dedent
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumpolicy.findings import Span, join_pointer
from rumpolicy.load import source
from rumpolicy.load.source import (
    MAX_DEPTH,
    ParsedSource,
    SourceError,
    parse_json,
    parse_text,
    parse_yaml,
    read_text,
)
from tests.conftest import examples

TEMPLATE_YAML = dedent(
    """\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      GuestRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Principal:
                  Federated: cognito-identity.amazonaws.com
                Action: sts:AssumeRoleWithWebIdentity
                Condition:
                  StringEquals:
                    "cognito-identity.amazonaws.com:aud": !Ref IdentityPool
          RoleName: !Sub "${AWS::StackName}-guest"
      Monitor:
        Type: AWS::RUM::AppMonitor
        Properties:
          Tags:
            - Key: role
              Value: !GetAtt GuestRole.Arn
    """
)

TEMPLATE_JSON = dedent(
    """\
    {
      "AWSTemplateFormatVersion": "2010-09-09",
      "Resources": {
        "GuestRole": {
          "Type": "AWS::IAM::Role",
          "Properties": {
            "AssumeRolePolicyDocument": {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                  "Action": "sts:AssumeRoleWithWebIdentity",
                  "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": {"Ref": "IdentityPool"}}
                  }
                }
              ]
            },
            "RoleName": {"Fn::Sub": "${AWS::StackName}-guest"}
          }
        },
        "Monitor": {
          "Type": "AWS::RUM::AppMonitor",
          "Properties": {
            "Tags": [ {"Key": "role", "Value": {"Fn::GetAtt": ["GuestRole", "Arn"]}} ]
          }
        }
      }
    }
    """
)

STATEMENT = "/Resources/GuestRole/Properties/AssumeRolePolicyDocument/Statement/0"
AUDIENCE = STATEMENT + "/Condition/StringEquals/cognito-identity.amazonaws.com:aud"
TAG = "/Resources/Monitor/Properties/Tags/0"


def raises(call: Callable[[], Any]) -> SourceError:
    with pytest.raises(SourceError) as caught:
        call()
    return caught.value


def timed_error(call: Callable[[], Any], limit: float = 2.0) -> SourceError:
    """The SourceError a hostile input produces, asserting it came within a generous time bound."""
    started = time.perf_counter()
    error = raises(call)
    assert time.perf_counter() - started < limit
    return error


def container_pointers(value: Any, pointer: str = "") -> Iterator[str]:
    """The pointer of every element of every list or dict inside value."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for token, child in items:
        child_pointer = join_pointer(pointer, token)
        yield child_pointer
        yield from container_pointers(child, child_pointer)


# --- source maps ---------------------------------------------------------------------------------------


def test_yaml_template_values_and_spans():
    parsed = parse_yaml(TEMPLATE_YAML, "t.yaml")
    assert (parsed.path, parsed.format) == ("t.yaml", "yaml")
    assert parsed.data == parse_json(TEMPLATE_JSON, "t.json").data
    assert parsed.spans[""] == Span(1, 1)
    assert parsed.spans["/Resources/GuestRole"] == Span(3, 3)
    assert parsed.spans[STATEMENT] == Span(9, 13)  # an item: where the item starts, after "- "
    assert parsed.spans[STATEMENT + "/Condition"] == Span(13, 13)  # an entry: its key
    assert parsed.spans[AUDIENCE] == Span(15, 17)
    assert parsed.spans[AUDIENCE + "/Ref"] == Span(15, 55)  # the tag
    assert parsed.spans["/Resources/GuestRole/Properties/RoleName/Fn::Sub"] == Span(16, 17)
    assert parsed.spans[TAG] == Span(21, 11)
    assert parsed.spans[TAG + "/Value/Fn::GetAtt/1"] == Span(22, 18)


def test_json_template_spans():
    parsed = parse_json(TEMPLATE_JSON, "t.json")
    assert parsed.format == "json"
    assert parsed.spans[""] == Span(1, 1)
    assert parsed.spans["/Resources/GuestRole"] == Span(4, 5)
    assert parsed.spans[STATEMENT] == Span(10, 13)
    assert parsed.spans[STATEMENT + "/Condition"] == Span(14, 15)
    assert parsed.spans[AUDIENCE] == Span(15, 34)
    assert parsed.spans[AUDIENCE + "/Ref"] == Span(15, 73)
    assert parsed.spans[TAG] == Span(26, 19)
    assert parsed.spans[TAG + "/Value/Fn::GetAtt/1"] == Span(26, 73)


def test_spans_with_crlf_line_ends_and_non_ascii_columns():
    yaml_spans = parse_yaml("a:\r\n  é: [x, ü]\r\n", "x").spans
    assert yaml_spans["/a/é"] == Span(2, 3)
    assert yaml_spans["/a/é/1"] == Span(2, 10)
    json_spans = parse_json('{\r\n "é": ["x", "ü"]\r\n}', "x").spans
    assert json_spans["/é"] == Span(2, 2)
    assert json_spans["/é/1"] == Span(2, 13)


def test_pointer_tokens_are_escaped():
    assert parse_yaml("a/b: {c~d: 1}", "x").spans["/a~1b/c~0d"] == Span(1, 7)
    assert parse_json('{"a/b": {"c~d": 1}}', "x").spans["/a~1b/c~0d"] == Span(1, 10)


def test_span_for_falls_back_to_the_nearest_ancestor():
    parsed = parse_yaml(TEMPLATE_YAML, "t.yaml")
    assert parsed.span_for(STATEMENT + "/Condition") == Span(13, 13)
    assert parsed.span_for(STATEMENT + "/Condition/NoSuchOperator/x") == Span(13, 13)
    assert parsed.span_for("/Nothing") == Span(1, 1)
    assert ParsedSource("x", "json", None, {}).span_for("/a") is None


# --- YAML values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!Ref IdentityPool", {"Ref": "IdentityPool"}),
        ("!Ref 123", {"Ref": "123"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!GetAtt Role.Arn", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("!GetAtt Bucket.Outputs.Name", {"Fn::GetAtt": ["Bucket", "Outputs.Name"]}),
        ("!GetAtt [Role, Arn]", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("!Sub 'arn:${AWS::Partition}:rum'", {"Fn::Sub": "arn:${AWS::Partition}:rum"}),
        ("!Sub ['${A}-x', {A: !Ref B}]", {"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]}),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!If [IsProd, !Ref A, !Ref AWS::NoValue]", {"Fn::If": ["IsProd", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}),
        ("!Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        ("!FindInMap [M, !Ref AWS::Region, Id]", {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Id"]}),
        ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
        ("!Base64 {a: 1}", {"Fn::Base64": {"a": 1}}),
        ("!ImportValue Shared", {"Fn::ImportValue": "Shared"}),
    ],
)
def test_short_form_functions_become_the_long_form(text, value):
    assert parse_yaml(f"Value: {text}\n", "x").data == {"Value": value}


def test_every_documented_short_form_is_known():
    names = "Sub Join Select Split If Equals And Or Not FindInMap ImportValue Base64 Cidr GetAZs Transform Length"
    for name in [*names.split(), "ToJsonString", "ForEach"]:
        assert parse_yaml(f"v: !{name} [a]", "x").data == {"v": {f"Fn::{name}": ["a"]}}


def test_unknown_tag_is_refused_at_the_tag():
    error = raises(lambda: parse_yaml("a: 1\nb: !GetAttr Role.Arn\n", "x"))
    assert error.message == "unknown tag '!GetAttr'"
    assert error.span == Span(2, 4)
    assert raises(lambda: parse_yaml("a: !Foo [1]", "x")).span == Span(1, 4)
    assert "!!binary" in raises(lambda: parse_yaml("a: !!binary aGk=", "x")).message


def test_dates_stay_strings_and_other_scalars_are_typed_like_safe_load():
    data = parse_yaml(
        "Version: 2012-10-17\nWhen: 2001-12-14t21:59:43.10-05:00\nY: yes\nZ: null\nN: 0x1F\nF: 1.5\nS: '12'\n"
        "E: =\nT: !!str 12\nI: !!int '7'\n",
        "x",
    ).data
    assert data == {
        "Version": "2012-10-17",
        "When": "2001-12-14t21:59:43.10-05:00",
        "Y": True,
        "Z": None,
        "N": 31,
        "F": 1.5,
        "S": "12",
        "E": "=",
        "T": "12",
        "I": 7,
    }


def test_non_string_keys_become_strings():
    assert parse_yaml("1: a\ntrue: b\n1.5: c\n~: d\n", "x").data == {"1": "a", "True": "b", "1.5": "c", "None": "d"}


def test_a_collection_as_key_is_refused():
    assert raises(lambda: parse_yaml("? [a]\n: 1\n", "x")).span == Span(1, 3)
    assert raises(lambda: parse_yaml("!Ref a: 1\n", "x")).span == Span(1, 1)


@pytest.mark.parametrize(
    ("parse", "text", "span"),
    [
        (parse_yaml, "Resources:\n  A: {Type: X}\n  B: {}\n  A: {Type: Y}\n", Span(4, 3)),
        (parse_json, '{"Resources": {\n  "A": {"Type": "X"},\n  "B": {},\n  "A": {"Type": "Y"}}}', Span(4, 3)),
    ],
)
def test_duplicate_keys_are_refused_at_the_second(parse, text, span):
    error = raises(lambda: parse(text, "x"))
    assert error.message == "duplicate key 'A' (first at line 2)"
    assert error.span == span


def test_keys_equal_after_str_are_duplicates():
    assert raises(lambda: parse_yaml("1: a\n'1': b\n", "x")).message == "duplicate key '1' (first at line 1)"


def test_only_one_yaml_document():
    error = raises(lambda: parse_yaml("a: 1\n---\nb: 2\n", "x"))
    assert "one YAML document" in error.message
    assert error.span == Span(2, 1)
    assert parse_yaml("---\na: 1\n...\n", "x").data == {"a": 1}


def test_empty_yaml_is_none():
    assert parse_yaml("# nothing\n", "x").data is None
    assert parse_text("", "x").spans == {"": Span(1, 1)}


def test_anchors_aliases_and_merge_keys():
    parsed = parse_yaml("base: &b {x: 1, y: [2]}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n", "x")
    assert parsed.data == {"base": {"x": 1, "y": [2]}, "use": {"x": 1, "y": [2]}, "merged": {"x": 1, "y": 3}}
    assert parsed.spans["/use"] == Span(2, 1)
    assert parsed.span_for("/use/y/0") == Span(2, 1)  # inside an alias: the alias
    assert parsed.spans["/merged/x"] == Span(4, 3)  # a merged key: the '<<'
    assert parsed.spans["/merged/y"] == Span(5, 3)
    assert parse_yaml("a: &a {k: 1}\nb: &b {k: 2, l: 2}\nc: {<<: [*a, *b]}\n", "x").data["c"] == {"k": 1, "l": 2}
    assert "merge" in raises(lambda: parse_yaml("a: {<<: 1}", "x")).message


def test_undefined_and_recursive_aliases_are_refused():
    assert raises(lambda: parse_yaml("a: *nope\n", "x")).span == Span(1, 4)
    error = raises(lambda: parse_yaml("a: &a [1, *a]\n", "x"))
    assert "inside its own anchor" in error.message
    assert error.span == Span(1, 11)


# --- hostile input -------------------------------------------------------------------------------------


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join('*' + previous for _ in range(9))}]")
    return "\n".join(lines) + "\n"


def test_alias_explosion_is_refused_quickly():
    error = timed_error(lambda: parse_yaml(billion_laughs(), "x"), limit=0.5)
    assert error.message.startswith("alias expansion exceeds")
    assert error.span is not None and error.span.line == 7
    assert timed_error(lambda: parse_text(billion_laughs(), "x"), limit=0.5).message == error.message


def test_node_limit_counts_alias_expansion(monkeypatch):
    monkeypatch.setattr(source, "MAX_NODES", 20)
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"  # 5 + 1 + 3 * 5 = 21 values
    assert raises(lambda: parse_yaml(text, "x")).message == "alias expansion exceeds 20 values"
    assert parse_yaml("a: &a [1, 2, 3, 4]\nb: [*a, *a]\n", "x").data["b"][1] == [1, 2, 3, 4]


def test_node_limit_without_aliases(monkeypatch):
    monkeypatch.setattr(source, "MAX_NODES", 20)
    many = "[" + ", ".join(["1"] * 25) + "]"
    assert "more than 20 values" in raises(lambda: parse_yaml(many, "x")).message
    error = raises(lambda: parse_json(many, "x"))
    assert "more than 20 values" in error.message
    assert error.span == Span(1, 59)  # the 21st value, counting the list itself


@pytest.mark.parametrize(
    ("parse", "text", "span"),
    [
        (parse_json, "[" * 50_000 + "]" * 50_000, Span(1, MAX_DEPTH + 1)),
        (parse_text, '{"a":' * 50_000 + "1" + "}" * 50_000, Span(1, 5 * MAX_DEPTH + 1)),
        (parse_yaml, "Resources: " + "[" * 50_000 + "]" * 50_000, Span(1, 11 + MAX_DEPTH)),
        (parse_yaml, "{a: " * 50_000 + "1" + "}" * 50_000, Span(1, 4 * MAX_DEPTH + 1)),
        (parse_text, "[" * 50_000, Span(1, MAX_DEPTH + 1)),
        (parse_yaml, "- " * 50_000 + "x", Span(1, 2 * MAX_DEPTH + 1)),
        (parse_yaml, "".join(" " * i + "a:\n" for i in range(1_000)), Span(MAX_DEPTH + 1, MAX_DEPTH + 1)),
        (
            parse_yaml,
            "Resources:\n" + "".join(" " * i + "- \n" for i in range(1, 3_000)),
            Span(MAX_DEPTH + 1, MAX_DEPTH + 1),
        ),
    ],
    ids=["json", "json-objects", "yaml-flow", "yaml-flow-mappings", "unclosed", "yaml-compact", "yaml-indented",
         "yaml-indented-lists"],
)
def test_deep_nesting_is_refused_where_it_crosses_the_limit(parse, text, span):
    error = timed_error(lambda: parse(text, "x"))
    assert error.message == f"the document nests deeper than {MAX_DEPTH} levels"
    assert error.span == span


def test_nesting_up_to_the_limit_is_accepted():
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "x").spans["/0" * (MAX_DEPTH - 1)] == Span(1, MAX_DEPTH)
    assert parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "x").data is not None
    assert parse_text("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH, "x").spans["/0" * MAX_DEPTH] == Span(1, MAX_DEPTH + 1)
    # A short-form function adds a level: {"Ref": "x"}.
    assert parse_yaml("a: " + "[" * (MAX_DEPTH - 2) + "!Ref x" + "]" * (MAX_DEPTH - 2), "x").data is not None
    error = raises(lambda: parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "!Ref x" + "]" * (MAX_DEPTH - 1), "x"))
    assert error.message == f"the document nests deeper than {MAX_DEPTH} levels"


def test_depth_through_an_alias_is_counted():
    deep = "[" * 150 + "]" * 150
    assert parse_yaml(f"a: &a {deep}\nb: *a\n", "x").data["b"] is not None
    error = raises(lambda: parse_yaml(f"a: &a {deep}\nb: {'[' * 60}*a{']' * 60}\n", "x"))
    assert error.message == f"the document nests deeper than {MAX_DEPTH} levels"
    assert error.span == Span(2, 64)


@pytest.mark.parametrize(
    ("text", "span", "words"),
    [
        ("Resources:\n  Pool:\n    Properties: {A: true\n", Span(3, 17), "end of the file"),
        ("a: 'unclosed\nb: 1\n", Span(1, 4), "end of the file"),
        ("a:\n\tb: 1\n", Span(2, 1), "cannot start any token"),
        ("a: b\n c: d\n", Span(2, 3), "mapping values are not allowed"),
        ("a:\n  - b\n c: d\n", Span(3, 2), "did not find expected key"),
        ("a: \x01\n", Span(1, 4), "control characters"),
        ("é: x\x00\n", Span(1, 5), "#x0000"),
    ],
)
def test_broken_yaml_is_located(text, span, words):
    error = raises(lambda: parse_text(text, "x"))
    assert error.message.startswith("invalid YAML: ")
    assert words in error.message
    assert error.span == span


@pytest.mark.parametrize(
    ("text", "span", "words"),
    [
        ('{"a": 1,}', Span(1, 9), "Expecting property name"),  # for JSON; YAML takes it
        ('{"a": 1 "b": 2}', Span(1, 9), "Expecting ',' delimiter"),
        ('{\n  "a": "x\n"}', Span(2, 10), "Invalid control character"),
        ('{"a": [1, 2}', Span(1, 12), "Expecting ',' delimiter"),
        ('{"a": NaN}', Span(1, 7), "NaN is not a JSON number"),
        ('["x", -Infinity]', Span(1, 7), "-Infinity is not a JSON number"),
        ('{"a": 1} {"b": 2}', Span(1, 10), "Extra data"),
        ('{"a": "\\q"}', Span(1, 8), "Invalid \\escape"),
    ],
)
def test_broken_json_is_located(text, span, words):
    error = raises(lambda: parse_json(text, "x"))
    assert error.message.startswith("invalid JSON: ")
    assert words in error.message
    assert error.span == span


def test_parse_text_prefers_json_and_falls_back_to_yaml():
    assert parse_text(' \n{"a": [1]}', "x").format == "json"
    assert parse_text("[1, 2]", "x").format == "json"
    assert parse_text("a: [1]", "x").format == "yaml"
    assert parse_text('{"a": 1,}', "x").data == {"a": 1}  # YAML flow allows the trailing comma
    assert parse_text("{a: [x]}", "x").format == "yaml"
    assert parse_text("{a: '[[[[" + "[" * 300 + "'}", "x").format == "yaml"  # brackets in a YAML string
    error = raises(lambda: parse_text('{"a": 1 "b": 2}', "x"))
    assert error.message == "invalid JSON: Expecting ',' delimiter"
    assert raises(lambda: parse_text('{"a": 1, "a": 2}', "x")).message == "duplicate key 'a' (first at line 1)"


def test_unpaired_surrogate_is_refused():
    assert raises(lambda: parse_text("a: \ud800", "x")).span == Span(1, 4)


def test_huge_integers_are_refused():
    assert "not a valid" in raises(lambda: parse_yaml("a: " + "1" * 5_000, "x")).message
    error = raises(lambda: parse_json('["1111", 2,\n ' + "1" * 5_000 + "]", "x"))
    assert error.message.startswith("invalid JSON: a number has more than")
    assert error.span == Span(2, 2)


# --- reading -------------------------------------------------------------------------------------------


def test_huge_file_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: nothing is written or read
    monkeypatch.setattr("builtins.open", lambda *args, **kwargs: pytest.fail("read a huge file"))
    error = timed_error(lambda: read_text(str(path)), limit=0.5)
    assert error.message == "file is 50.0 MiB, above the 5.0 MiB limit (--max-file-size)"


def test_max_bytes(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n" * 1000)
    assert "above the 0.0 MiB limit" in raises(lambda: read_text(str(path), max_bytes=4999)).message
    assert read_text(str(path), max_bytes=5000) == "a: 1\n" * 1000


@pytest.mark.parametrize(
    ("encoded", "codec"),
    [
        (b"\xef\xbb\xbf" + "a: é\n".encode(), "utf-8 with BOM"),
        ("a: é\n".encode(), "utf-8"),
        ("\ufeffa: é\n".encode("utf-16-le"), "utf-16-le"),
        ("\ufeffa: é\n".encode("utf-16-be"), "utf-16-be"),
        ("\ufeffa: é\n".encode("utf-32-le"), "utf-32-le"),
        ("\ufeffa: é\n".encode("utf-32-be"), "utf-32-be"),
    ],
)
def test_unicode_encodings(tmp_path, encoded, codec):
    path = tmp_path / "t.yaml"
    path.write_bytes(encoded)
    text = read_text(str(path))
    assert text == "a: é\n", codec
    assert parse_text(text, str(path)).data == {"a": "é"}


def test_invalid_utf8_is_located(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("Resources:\n  X: {Type: 'caf\xe9'}\n".encode("latin-1"))
    error = raises(lambda: read_text(str(path)))
    assert error.message == "not valid UTF-8 at byte 27"
    assert error.span == Span(2, 17)


def test_invalid_utf16_is_located(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes("\ufeffa: 1\nb: ".encode("utf-16-le") + b"\x00\xdc")  # a lone low surrogate
    error = raises(lambda: read_text(str(path)))
    assert error.message == "not valid UTF-16 at byte 18"
    assert error.span == Span(2, 4)


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes(b"a: 1\nb: \x00\x01")
    error = raises(lambda: read_text(str(path)))
    assert error.message.startswith("binary file")
    assert error.span == Span(2, 4)


def test_unreadable_paths(tmp_path):
    assert raises(lambda: read_text(str(tmp_path / "missing.yaml"))).message.startswith("cannot read the file")
    assert raises(lambda: read_text(str(tmp_path))).message.startswith("cannot read the file")


# --- properties ----------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_all_ways(text: str) -> None:
    for parse in (parse_text, parse_json, parse_yaml):
        try:
            parse(text, "x")
        except SourceError as error:
            assert not error.message.startswith("cannot parse"), error.message  # an unexpected failure
            assert error.span is None or (error.span.line >= 1 and error.span.column >= 1)


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_gives_data_or_a_source_error(text):
    parse_all_ways(text)


@PROPERTY_SETTINGS
@given(st.binary().map(lambda raw: raw.decode("utf-8", errors="replace")))
def test_any_bytes_give_data_or_a_source_error(text):
    parse_all_ways(text)


YAML_ISH = st.lists(
    st.sampled_from(["{", "}", "[", "]", ",", ":", " ", "\n", "  ", "- ", "? ", "&a ", "*a", "!Ref ", "!GetAtt ",
                     "<<: ", "a", "'", '"', "#", "|", "---\n", "1", "\t", "\\", "!!int ", "~"]),
    max_size=40,
).map("".join)


@PROPERTY_SETTINGS
@given(YAML_ISH)
def test_yaml_like_text_gives_data_or_a_source_error(text):
    parse_all_ways(text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@PROPERTY_SETTINGS
@given(JSON_VALUES)
def test_json_round_trip_with_a_span_for_every_element(value):
    for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=False)):
        parsed = parse_json(text, "x")
        assert parsed.data == value
        assert parsed.spans.keys() == {"", *container_pointers(value)}


@PROPERTY_SETTINGS
@given(JSON_VALUES)
def test_yaml_round_trip_with_a_span_for_every_element(value):
    text = yaml.safe_dump(value)
    parsed = parse_yaml(text, "x")
    assert parsed.data == value
    assert parsed.spans.keys() == {"", *container_pointers(value)}
    # With raw Unicode, PyYAML's emitter writes a NEL (U+0085) unescaped inside quotes, where YAML reads it as
    # a line break folded to a space; so this form is compared with PyYAML's own reading, not with value.
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=20)
    parsed = parse_yaml(text, "x")
    assert parsed.data == yaml.load(text, Loader=yaml.SafeLoader)
    assert parsed.spans.keys() == {"", *container_pointers(parsed.data)}
