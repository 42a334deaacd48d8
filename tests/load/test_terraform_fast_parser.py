"""The direct HCL parser (``terraform_fast_parser``) against the parser that drives python-hcl2's grammar.

Whatever the direct parser accepts must come out exactly as the grammar's parser gives it (every node,
value and position), and what it declines must end as before (the same tree, or the same error at the
same place). Each case is parsed twice by ``parse_hcl``: once as it runs, once with the direct parser
switched off.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from rumpolicy.findings import Span
from rumpolicy.load import terraform_fast_parser as fast_parser
from rumpolicy.load import terraform_syntax as syntax
from rumpolicy.load.source import SourceError
from rumpolicy.load.terraform_nodes import (Attribute, Binary, Block, Body, Expr, GetAttr, Index, Literal, Name,
                                            Splat, Unary, Unsupported)

ROOT = Path(__file__).resolve().parents[2]


def _same(a, b, where="$") -> str | None:
    """None when ``a`` and ``b`` are the same tree, else where they differ."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} {a!r} != {type(b).__name__} {b!r}"
    if isinstance(a, Expr):
        names = [n for cls in type(a).__mro__ for n in getattr(cls, "__slots__", ())]
        return next((d for n in names if (d := _same(getattr(a, n), getattr(b, n), f"{where}.{n}"))), None)
    if isinstance(a, (Body, Block, Attribute)):
        return next((d for n in a.__slots__ if (d := _same(getattr(a, n), getattr(b, n), f"{where}.{n}"))), None)
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where}: keys {list(a)} != {list(b)}"
        return next((d for k in a if (d := _same(a[k], b[k], f"{where}[{k!r}]"))), None)
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := _same(x, y, f"{where}[{i}]"))), None)
    if a != b or repr(a) != repr(b):
        return f"{where}: {a!r} != {b!r}"
    return None


def _outcome(parse):
    try:
        return parse(), None
    except SourceError as error:
        return None, (error.message, error.span)


def _grammar_only(parse):
    saved = fast_parser.parse_body, fast_parser.parse_value
    fast_parser.parse_body = lambda *args, **kwargs: None
    fast_parser.parse_value = lambda *args, **kwargs: None
    try:
        return _outcome(parse)
    finally:
        fast_parser.parse_body, fast_parser.parse_value = saved


def _accepted(text: str, path: str) -> bool:
    return fast_parser.parse_body(text + "\n", path, syntax._identity, syntax.heredoc_expr) is not None


def check_file(text: str, path: str = "main.tf") -> bool:
    """Assert both parsers end alike; returns whether the direct parser read the text itself."""
    expected, expected_error = _grammar_only(lambda: syntax.parse_hcl(text, path).body)
    actual, actual_error = _outcome(lambda: syntax.parse_hcl(text, path).body)
    assert actual_error == expected_error, text
    if expected is not None:
        difference = _same(expected, actual)
        assert difference is None, f"{difference}\n{text}"
    accepted = _accepted(text, path)
    assert not (accepted and expected is None), f"the direct parser accepts what the grammar refuses:\n{text}"
    return accepted


def check_template(text: str, source: str = "main.tf.json") -> None:
    expected, expected_error = _grammar_only(lambda: syntax.parse_template(text, source, Span(3, 7)))
    actual, actual_error = _outcome(lambda: syntax.parse_template(text, source, Span(3, 7)))
    assert actual_error == expected_error, text
    if expected is not None:
        difference = _same(expected, actual)
        assert difference is None, f"{difference}\n{text}"


def _parsed(text: str) -> Body:
    assert _accepted(text, "main.tf"), text
    return syntax.parse_hcl(text, "main.tf").body


# --------------------------------------------------------------------------------------------
# Real configurations


def _configurations() -> list[Path]:
    found = [p for folder in ("fixtures", "examples") for suffix in ("*.tf", "*.tfvars")
             for p in (ROOT / folder).rglob(suffix)]
    return sorted(found)


def test_every_configuration_of_the_repository_is_read_as_the_grammar_reads_it():
    paths = _configurations()
    assert len(paths) > 50
    declined = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if not check_file(text, str(path)):
            declined.append(path)
    # Only files with syntax errors are left to the grammar's parser (which words the error).
    for path in declined:
        with pytest.raises(SourceError):
            syntax.parse_hcl(path.read_text(encoding="utf-8"), str(path))
    assert len(declined) <= 3


def test_the_benchmark_corpus_is_read_directly_and_alike():
    spec = importlib.util.spec_from_file_location("tf_bench", ROOT / "benchmarks" / "terraform.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for index in range(12):
        files, _ = bench.module_files(bench.SEED, index)
        for name, text in files.items():
            assert check_file(text, name), name


# --------------------------------------------------------------------------------------------
# What the grammar does in its own way


@pytest.mark.parametrize("text", [
    "x = a -1", "x = -1", "x = - 1", "x = -12", "x = -1.5", "x = a-1", "x = 2*-1", "x = 2 - -12", "x = 007",
    "x = 1.5e3", "x = 1e5", "x = -1-2.5", "x = a -12", "x = 1 -1.5", "x = - -1", "x = !!a", "x = !a == b",
    "x = a\n+ b", "x = a\n\n+ b", "x = a\n- b", "x = a # c\n+ b", "x = a /* c */\n+ b", "x = c\n? a\n: b",
    "x = a +\n b", "x = (a\n+ b\n)", "x = a + b * c - d / e % f", "x = a || b && c == d != e < f <= g > h >= i",
    "x = a ? b : c ? d : e", "x = a ? b ? c : d : e", "x = (a) + b", "x = -a.b[0]",
    "a = 1 b = 2", "x = {a = 1 b = 2}", "x = /* c */ 1", "x =\n1", "x = 1 // c", "x = 1 # c", "x = 1 /* c */",
    "x = f(a\n,)", "x = f(a,\n)", "x = f(a\n...)", "x = f(a...)", "x = f(a, ...)", "x = f(\n)", "x = f (a)",
    "x = f(\na,\nb\n)", "x = provider::aws::arn_parse(a)", "x = [a, ]", "x = [\n]", "x = [,]", "x = [a\n,\nb]",
    "x = {a = 1, b = 2,}", "x = {a: 1}", "x = {\"k\" = 1}", "x = {(k) = 1}", "x = {\"${k}\" = 1}", "x = {true = 1}",
    "x = {null = 1}", "x = {in = 1}", "x = {for_each = 1}", "x = {for = 1}", "x = {a.b = 1}", "x = {a\n= 1}",
    "x = {a = 1\n, b = 2}", "x = {a = 1,\n, b = 2}",
    "x = [for v in m : v]", "x = [for k, v in m : v if k != \"\"]", "x = [\nfor s in var.l : s.name\nif s.on\n]",
    "x = {for k, v in m : k => v}", "x = {for k, v in m : k => v... if v}", "x = {\nfor k, v in m :\nk => v\n}",
    "x = [for k\n, v in m : v]", "x = {for k, v in m : k\n=> v}", "x = [for in in m : in]", "x = [for v in if : v]",
    "x = a[*].b[0]", "x = a.*.b", "x = a[*][0]", "x = a[*].b[*].c", "x = a.0.b", "x = a.0.5", "x = a.-1",
    "x = a.true", "x = a.in", "x = a.for", "x = 1.foo", "x = a [0]", "x = a[\n0\n]", "x = (a).b", "x = a.b-c",
    "x = for_each", "x = in", "x = true.x", "x = null",
    'x = "$${a}"', 'x = "%%{a}"', 'x = "a\\nb\\t\\"\\\\"', 'x = "\\u00e9\\U0001F600\\uZZZZ"', 'x = "100%"',
    'x = "$"', 'x = "$$"', 'x = "x${a}y${b}z"', 'x = "${ {a = 1}.a }"', 'x = "${"}"}"', 'x = "a\nb"',
    'x = "${\na}"', 'x = "${a\n}"', 'x = "${a # c\n}"', 'x = "%{if a}b%{endif}"', 'x = "${~a~}"',
    'x = "$${a"}"', 'x = "a\\\nb"', 'x = "${a}${b}"', 'x = ""', 'x = "${""}"', 'x = "${a + "${b}"}"',
    "x = <<EOT\nhello\nEOT\n", "x = <<-EOT\n  a ${b}\n    c\n  EOT\n", "x = <<EOT\nEOT\n", "x = <<EOT\n\n\nEOT\n",
    "x = <<EOT\na\nEOT\n+ \"x\"", "x = <<EOT\na\nEOT\n- 1", "x = <<EOT\na\nEOT\n.b", "x = [<<EOT\na\nEOT\n, 2]",
    "x = <<EOT\n${a}\n  EOT\ny = 1", "x = <<EOT\n%{for v in l}${v}%{endfor}\nEOT\n", "x = <<EOT\n$${a} ${b\nEOT\n",
    "x = << EOT\na\nEOT\n", "x = <<EOT\na\nEOTX\n",
    'resource "a" "b" {\n  x = 1\n}', 'a "b"\n{\n}', "a b c {}", 'a "b" { x = 1 }', 'a { b { c = 1 } }',
    'a "x\\"y" {}', 'a "${x}" {}', 'a {} b {}', "a {\n}\nb {\n}", 'a = 1\na = 2', "a {\n  b = 1\n  b = 2\n}",
    "x = 1\r\ny = [\r\n  2,\r\n]\r\n", "x = \"a\"\t# tab\n", "\ufeffx = 1", "x = 1 ; y = 2", "x = a & b",
    "x = a ~ b", "x = \\\"a\\\"", "x = $a", "", "\n\n", "# only a comment", "/* unterminated", "x = 1 /* c",
])
def test_the_grammars_own_readings_are_kept(text):
    check_file(text)


def test_what_the_direct_parser_reads_itself():
    body = _parsed("x = a -1\ny = -1\nz = -12\nw = a-1\nv = a\n+ b\n")
    x, y, z, w, v = (body.attributes[n].expr for n in "xyzwv")
    assert isinstance(x, Binary) and x.op == "-" and x.right.value == 1
    assert isinstance(y, Unary) and y.operand.value == 1
    assert isinstance(z, Literal) and z.value == -12
    assert isinstance(w, Name) and w.name == "a-1"
    assert isinstance(v, Binary) and v.span == Span(5, 5)
    body = _parsed('x = a[*].b[0]\ny = a.0.b\nz = {true = 1, in = 2, "k" = 3}\n')
    splat = body.attributes["x"].expr
    assert isinstance(splat, Splat) and splat.steps[0] == ("attr", "b") and splat.steps[1][1].value == 0
    dotted = body.attributes["y"].expr
    assert isinstance(dotted, GetAttr) and isinstance(dotted.target, Index) and dotted.target.span == Span(2, 6)
    keys = [k.value for k, _ in body.attributes["z"].expr.items]
    assert keys == [True, "in", "k"]


def test_a_comment_before_an_operator_is_left_to_the_grammar():
    # python-hcl2 joins the comment to the operator's text, which the converter then does not know.
    text = "x = a # c\n+ b\n"
    assert not _accepted(text, "main.tf")
    assert isinstance(syntax.parse_hcl(text, "main.tf").body.attributes["x"].expr, Unsupported)
    check_file(text)


@pytest.mark.parametrize("text", [
    "x = " + "[" * 70 + "]" * 70, "x = " + "[" * 76 + "]" * 76, "x = " + "(" * 149 + "a" + ")" * 149,
    "x = " + "(" * 151 + "a" + ")" * 151, "x = " + " + ".join(["a"] * 149), "x = " + " + ".join(["a"] * 150),
    "x = " + "a ? b : " * 300 + "c", "x = " + "{a = " * 60 + "1" + "}" * 60, "x = " + "f(" * 70 + ")" * 70,
    "x = " + '"${' * 40 + "a" + '}"' * 40, "x = " + "a." * 80 + "b", "x = " + "-a.b" + "[0]" * 80,
    "".join("b%d {\n" % i for i in range(150)) + "}\n" * 150, "".join("b%d {\n" % i for i in range(151)) + "}\n" * 151,
    "x = <<EOT\n" + "${" * 30 + "a" + "}" * 30 + "\nEOT\n", "x = <<EOT\n" + "${[" * 60 + "a" + "]}" * 60 + "\nEOT\n",
    "x = [" + "<<EOT\n${" + "(" * 100 + "a" + ")" * 100 + "}\nEOT\n" + "]",
])
def test_nesting_ends_as_with_the_grammar(text):
    check_file(text)


def test_templates_are_parsed_alike():
    for text in ["arn:${var.x}", "${a}${b}", "$${a}", "%{if a}b%{endif}", "${", "${}", "${ a + b * c }",
                 '${jsonencode({a = "b"})}', "${a\n+ b}", "${[for v in l : v]}", "${a ? b : c}", "a${b.c[0]}d",
                 "${<<EOT\nx\nEOT\n}", "${a}" * 50, "${" + "(" * 145 + "a" + ")" * 145 + "}", "${a # c\n}",
                 "${provider::a::b()}", "${-12}", "${a -1}"]:
        check_template(text)


def test_a_defect_of_the_direct_parser_is_not_a_result(monkeypatch):
    text = 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n'
    expected = _grammar_only(lambda: syntax.parse_hcl(text, "main.tf").body)[0]

    def broken(self, *args):
        raise RuntimeError("a defect")

    monkeypatch.setattr(fast_parser._Parser, "block", broken)
    assert not _accepted(text, "main.tf")
    assert _same(expected, syntax.parse_hcl(text, "main.tf").body) is None


# --------------------------------------------------------------------------------------------
# Generated variations


_NAMES = ["a", "var", "local", "x-y", "each", "count", "_z", "self", "b1", "for_each", "in", "true", "null"]
_OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]


def _expr(rng: random.Random, depth: int) -> list[str]:
    if depth > 3 or rng.random() < 0.25:
        return _leaf(rng)
    kind = rng.choice(["binary", "binary", "unary", "conditional", "paren", "tuple", "object", "call", "postfix",
                       "postfix", "for", "for_object", "string", "heredoc"])
    if kind == "binary":
        return _expr(rng, depth + 1) + [rng.choice(_OPS)] + _expr(rng, depth + 1)
    if kind == "unary":
        return [rng.choice(["-", "!"])] + _expr(rng, depth + 1)
    if kind == "conditional":
        return _expr(rng, depth + 1) + ["?"] + _expr(rng, depth + 1) + [":"] + _expr(rng, depth + 1)
    if kind == "paren":
        return ["("] + _expr(rng, depth + 1) + [")"]
    if kind == "tuple":
        out = ["["]
        items = [_expr(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        for index, item in enumerate(items):
            out += item + ([","] if index < len(items) - 1 or rng.random() < 0.3 else [])
        return out + ["]"]
    if kind == "object":
        out = ["{"]
        for index in range(rng.randint(0, 3)):
            key = rng.choice([[rng.choice(_NAMES)], [f'"k{index}"'], ['"${a}"'], ["("] + _expr(rng, depth + 1) + [")"]])
            out += key + [rng.choice(["=", ":"])] + _expr(rng, depth + 1) + [rng.choice([",", "\n", ""])]
        return out + ["}"]
    if kind == "call":
        out = [rng.choice(["f", "jsonencode", "merge"]), "("]
        args = [_expr(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        for index, arg in enumerate(args):
            out += arg + ([","] if index < len(args) - 1 else [])
        if args and rng.random() < 0.3:
            out.append(rng.choice([",", "..."]))
        return out + [")"]
    if kind == "postfix":
        out = _leaf(rng) if rng.random() < 0.7 else ["("] + _expr(rng, depth + 1) + [")"]
        for _ in range(rng.randint(1, 3)):
            out += rng.choice([[".", rng.choice(_NAMES)], [".", str(rng.randint(0, 3))], ["[*]"], [".*"],
                               ["["] + _expr(rng, depth + 1) + ["]"]])
        return out
    if kind == "for":
        out = rng.choice([["[", "for", "k", ",", "v"], ["[", "for", "v"]])
        out += ["in"] + _expr(rng, depth + 1) + [":"] + _expr(rng, depth + 1)
        return out + (["if"] + _expr(rng, depth + 1) if rng.random() < 0.4 else []) + ["]"]
    if kind == "for_object":
        out = ["{", "for", "k", ",", "v", "in"] + _expr(rng, depth + 1) + [":"] + _expr(rng, depth + 1) + ["=>"]
        out += _expr(rng, depth + 1) + (["..."] if rng.random() < 0.3 else [])
        return out + (["if"] + _expr(rng, depth + 1) if rng.random() < 0.4 else []) + ["}"]
    if kind == "string":
        parts = [rng.choice(["abc", "$", "%", "$$", "a\\nb", '\\"', "$${x}", "%%{x}", "\u00e9",
                             "${" + " ".join(_expr(rng, depth + 2)) + "}", "${ a }", "%{if a}x%{endif}"])
                 for _ in range(rng.randint(0, 3))]
        return ['"' + "".join(parts) + '"']
    body = rng.choice(["hello", "${a}", "x ${b.c} y\n  z", "$${no}", "  indented\n    more"])
    marker = rng.choice(["EOT", "END"])
    return ["<<" + rng.choice(["", "-"]) + marker + "\n" + body + "\n" + rng.choice(["", "  "]) + marker + "\n"]


def _leaf(rng: random.Random) -> list[str]:
    return rng.choice([[rng.choice(_NAMES)], [rng.choice(["1", "12", "-1", "-12", "0.5", "-1.5", "1e3", "007"])],
                       ['"' + rng.choice(["", "s", "x${y}z"]) + '"'], [rng.choice(_NAMES), ".", rng.choice(_NAMES)]])


_BREAKS = ["\n", "\n  ", "\n\n", " # c\n", " /* c */\n", "\n// c\n", " /* c */ "]


def _render(tokens: list[str], rng: random.Random, odd: float) -> str:
    out = []
    for index, token in enumerate(tokens):
        if index:
            draw = rng.random()
            out.append(rng.choice(_BREAKS) if draw < odd else rng.choice(["", "\t"]) if draw < odd + 0.05 else " ")
        out.append(token)
    return "".join(out)


def _program(rng: random.Random) -> str:
    odd = rng.choice([0.0, 0.05, 0.2])
    items = []
    for index in range(rng.randint(1, 3)):
        if rng.random() < 0.7:
            items.append(f"x{index} = " + _render(_expr(rng, 0), rng, odd))
        else:
            labels = rng.choice(["", ' "a"', ' "a" "b"', " a"])
            items.append(f"b{labels} {{\n  z = " + _render(_expr(rng, 1), rng, odd) + "\n}")
    return "\n".join(items) + "\n"


def test_generated_configurations_are_read_alike():
    accepted = 0
    for index in range(1000):
        rng = random.Random(f"configuration:{index}")
        accepted += check_file(_program(rng))
    assert accepted > 150


def test_mutated_configurations_are_read_alike():
    texts = [p.read_text(encoding="utf-8") for p in _configurations() if p.suffix == ".tf"][:40]
    inserts = ["\n", "\n\n", " # c\n", " /* c */ ", ",", "(", ")", "[", "]", "{", "}", "-", "+", "!", "?", ":",
               "=", ".", '"', "${", "1", "-12", "\\", "<<EOT\nx\nEOT\n", "...", "[*]", "%{", "$${", "for", "in"]
    for index in range(600):
        rng = random.Random(f"mutation:{index}")
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.7:
                text = text[:at] + rng.choice(inserts) + text[at:]
            else:
                text = text[:at] + text[at + 1:]
        check_file(text)


def test_positions_are_those_of_hcl2s_own_parser_too(tmp_path):
    # Where the parse table cannot be cached, hcl2's own parser (which works out the positions of rules
    # itself) is the grammar's parser: the direct parser's positions must be its positions too.
    import os
    import subprocess
    import sys

    text = (ROOT / "examples" / "terraform" / "correct" / "main.tf").read_text(encoding="utf-8")
    (tmp_path / "main.tf").write_text(text)
    code = ("import sys; sys.path.insert(0, 'tests-root')\n"
            "from rumpolicy.load import terraform_fast_parser as fast, terraform_syntax as syntax\n"
            "from tests.load.test_terraform_fast_parser import _grammar_only, _same\n"
            "text = open('main.tf').read()\n"
            "expected, error = _grammar_only(lambda: syntax.parse_hcl(text, 'main.tf').body)\n"
            "assert error is None and syntax._parser().options.propagate_positions  # hcl2's own parser\n"
            "print(_same(expected, syntax.parse_hcl(text, 'main.tf').body))\n").replace("tests-root", str(ROOT))
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "main.tf" / "cache")      # below a file: never created
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "None"
