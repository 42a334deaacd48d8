"""Read one input file and parse its JSON or YAML into plain values plus a source map.

The linter runs this on thousands of files per run, some of them hostile, so every step is linear in the
input, nesting depth and alias expansion are bounded, and every failure becomes a ``SourceError`` that
carries a line and column where one is known. Positions are 1-based; columns count characters.

YAML is parsed from libyaml's event stream rather than with ``yaml.compose``: PyYAML's C composer recurses
once per nesting level and crashes the interpreter on deeply nested input, while the event parser is an
iterative state machine, so the depth limit can be enforced at the exact event that crosses it.
"""

from __future__ import annotations

import codecs
import itertools
import json
import os
import re
import stat
import sys
from collections.abc import Callable
from typing import Any

from rumpolicy.findings import Span, escape_pointer_token
from rumpolicy.load.pyyaml import Resolver, SafeConstructor, ScalarNode, yaml
from rumpolicy.records import record

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 200
MAX_NODES = 1_000_000

_MIB = 1024 * 1024


class SourceError(Exception):
    """The input could not be read or parsed. ``message``: one sentence for a user; ``span``: where, if known."""

    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


@record(slots=True)
class ParsedSource:
    """Plain data parsed from one file, with the position of every value that has one."""

    path: str
    format: str
    data: Any
    spans: dict[str, Span]

    def span_for(self, pointer: str) -> Span | None:
        """Exact span, else the nearest ancestor's: values reached through a YAML alias have no own span."""
        while True:
            span = self.spans.get(pointer)
            if span is not None or not pointer:
                return span
            pointer = pointer[: max(pointer.rfind("/"), 0)]


# --- reading -------------------------------------------------------------------------------------------

# UTF-32-LE's BOM starts with UTF-16-LE's, so it must be tried first.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


NOT_REGULAR = "not a regular file"


def regular_file_error(path: str) -> str | None:
    """Why ``path`` is not a regular file that can be opened without blocking, or None when it is.

    Opening a FIFO blocks until a writer comes and a device may never end, so every reader checks
    this before it opens anything (symbolic links are followed, as ``open`` would).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return f"cannot read the file: {error.strerror or error}"
    return _mode_error(mode)


def _mode_error(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    what = next((name for test, name in _NOT_REGULAR if test(mode)), "something else")
    return f"cannot read the file: it is {what}, {NOT_REGULAR}, and rumpolicy opens only regular files"


def read_head(path: str, size: int) -> bytes:
    """The first ``size`` bytes of a regular file (OSError or SourceError otherwise)."""
    problem = regular_file_error(path)
    if problem is not None:
        raise SourceError(problem)
    return _read(path, size)


def _read(path: str, limit: int) -> bytes:
    # O_NONBLOCK as well as the stat before: a file swapped for a FIFO in between must not hang the run.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        problem = _mode_error(os.fstat(fd).st_mode)
        if problem is not None:
            raise SourceError(problem)
        chunks, remaining = [], limit
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a file as text, refusing files that are too large, binary, not in a Unicode encoding, or not
    regular files (FIFOs, sockets, devices are never opened)."""
    return FileBytes(path, max_bytes).text()


class FileBytes:
    """One file, opened at most once however it is looked at: its first bytes for a sniff, all its bytes,
    its text. ``read_text``'s refusals apply (too large, binary, not Unicode, not a regular file).

    A loader that sniffs a file before it parses it (is it a web client's? a CDK app's source?) asks this
    for both, so the file is not read twice. A file too large to read whole has only its head read, once.
    """

    __slots__ = ("path", "max_bytes", "_raw", "_error", "_head", "_text", "_text_error", "too_large", "given")

    def __init__(self, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._raw: bytes | None = None           # what was read whole (above max_bytes when it grew meanwhile)
        self._error: SourceError | None = None   # why it cannot be had whole
        self._head: bytes | None = None          # the head of a file too large to read whole
        self._text: str | None = None
        self._text_error: SourceError | None = None
        self.too_large = False                   # refused for its size (before or after reading it)
        self.given = False                       # the contents were handed over (standard input), not read

    @classmethod
    def of(cls, path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> FileBytes:
        """Contents named ``path`` that are no file's (``rumpolicy check -`` reads them from standard input):
        ``raw`` as far as it was read, which is refused above ``max_bytes`` as a file would be."""
        data = cls(path, max_bytes)
        data.given = True
        data._raw = raw
        if len(raw) > max_bytes:
            data.too_large = True
            data._error = SourceError(_too_large(len(raw), max_bytes))
        return data

    @property
    def touched(self) -> bool:
        """Whether it was read, or tried."""
        return self._raw is not None or self._error is not None or self._head is not None or self._text is not None

    def raw(self) -> bytes:
        """All the bytes, within ``max_bytes`` (SourceError otherwise)."""
        if self._raw is None and self._error is None:
            self._read_whole()
        if self._error is not None:
            raise self._error
        return self._raw

    def _read_whole(self) -> None:
        try:
            info = os.stat(self.path)
            problem = _mode_error(info.st_mode)
            if problem is not None:
                raise SourceError(problem)
            if info.st_size > self.max_bytes:
                self.too_large = True
                raise SourceError(_too_large(info.st_size, self.max_bytes))
            # Bounded even if the file grew since stat.
            raw = _read(self.path, self.max_bytes + 1)
        except OSError as error:
            self._error = SourceError(f"cannot read the file: {error.strerror or error}")
            return
        except SourceError as error:
            self._error = error
            return
        self._raw = raw
        if len(raw) > self.max_bytes:
            self.too_large = True
            self._error = SourceError(_too_large(len(raw), self.max_bytes))

    def keep_text_only(self) -> None:
        """Let the bytes go once the text is decoded (a file kept for later use); ``head`` needs them."""
        if self._text is not None:
            self._raw = None

    def within(self, max_bytes: int) -> FileBytes | None:
        """What was read, under another size limit; None when that would take another read."""
        if max_bytes == self.max_bytes:
            return self
        other = FileBytes(self.path, max_bytes)
        raw = self._raw
        if raw is not None and len(raw) <= self.max_bytes:          # read whole
            other._raw = raw
            if len(raw) > max_bytes:
                other.too_large = True
                other._error = SourceError(_too_large(len(raw), max_bytes))
            else:
                other._text, other._text_error = self._text, self._text_error
            return other
        if self._error is not None and not self.too_large:         # unreadable whatever the limit
            other._error = self._error
            return other
        return None

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes (OSError or SourceError when they cannot be read): of the whole read,
        or, for a file too large for one, of a read of its head alone."""
        if self._raw is None and self._error is None:
            self._read_whole()
        if self._raw is not None:
            return self._raw[:size]
        if not self.too_large:
            raise self._error
        if self._head is None or len(self._head) < size:
            self._head = read_head(self.path, size)
        return self._head[:size]

    def text(self) -> str:
        """The bytes decoded (a byte order mark chooses the encoding, else UTF-8), or SourceError."""
        if self._text is None and self._text_error is None:
            try:
                self._text = decode_text(self.raw())
            except SourceError as error:
                self._text_error = error
        if self._text_error is not None:
            raise self._text_error
        return self._text


def decode_text(raw: bytes) -> str:
    """A file's bytes as text: a byte order mark chooses the encoding, else UTF-8; NUL bytes are binary."""
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            return _decode(raw, len(mark), codec, name)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise SourceError("binary file: it contains NUL bytes", _byte_span(raw, 0, nul, "utf-8"))
    return _decode(raw, 0, "utf-8", "UTF-8")


def _too_large(size: int, max_bytes: int) -> str:
    return f"file is {size / _MIB:.1f} MiB, above the {max_bytes / _MIB:.1f} MiB limit (--max-file-size)"


def _decode(raw: bytes, start: int, codec: str, name: str) -> str:
    try:
        return raw[start:].decode(codec)
    except UnicodeDecodeError as error:
        bad = start + error.start
        raise SourceError(f"not valid {name} at byte {bad}", _byte_span(raw, start, bad, codec)) from None


def _byte_span(raw: bytes, start: int, offset: int, codec: str) -> Span:
    """Line and column of byte ``offset``; the bytes before it decode cleanly by construction."""
    before = raw[start:offset].decode(codec, errors="replace")
    return Span(before.count("\n") + 1, len(before) - before.rfind("\n"))


class _Positions:
    """Turns character offsets into spans; linear overall when offsets mostly increase, as in a scan."""

    __slots__ = ("text", "counted", "line", "line_start")

    def __init__(self, text: str) -> None:
        self.text = text
        self.counted = 0
        self.line = 1
        self.line_start = 0

    def span(self, offset: int) -> Span:
        if offset < self.counted:
            self.counted, self.line, self.line_start = 0, 1, 0
        newlines = self.text.count("\n", self.counted, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.counted, offset) + 1
        self.counted = offset
        return Span(self.line, offset - self.line_start + 1)


def _token(key: str) -> str:
    """One pointer token; the escape is skipped for the usual key that needs none."""
    return escape_pointer_token(key) if "/" in key or "~" in key else key


def _guarded(load: Callable[[str], tuple[Any, dict[str, Span]]], text: str, kind: str) -> tuple[Any, dict[str, Span]]:
    """Run a loader so that nothing but SourceError escapes: the linter must survive any input."""
    try:
        return load(text)
    except SourceError:
        raise
    except RecursionError:
        raise SourceError(f"the {kind} document nests too deeply") from None
    except MemoryError:
        raise SourceError(f"the {kind} document is too large to load") from None
    except Exception as error:  # any other parser failure is still a property of the input
        raise SourceError(f"cannot parse {kind}: {error}") from None


def _depth_error(span: Span) -> SourceError:
    return SourceError(f"the document nests deeper than {MAX_DEPTH} levels", span)


def _duplicate_error(key: str, first: Span | None, span: Span) -> SourceError:
    where = f" (first at line {first.line})" if first else ""
    return SourceError(f"duplicate key {key!r}{where}", span)


# --- JSON ----------------------------------------------------------------------------------------------

_JSON_SPACE = re.compile(r"[ \t\r\n]*")
# A string (an unterminated one runs to the end), or a bracket or comma; after an opening bracket or comma,
# the whitespace too, so that the match ends where the next value starts.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{,][ \t\r\n]*|[\]}]', re.DOTALL)


def parse_json(text: str, path: str) -> ParsedSource:
    """Parse strict JSON (no NaN or Infinity, no duplicate keys) with the position of every value."""
    data, spans = _guarded(_load_json, text, "JSON")
    return ParsedSource(path, "json", data, spans)


def _load_json(text: str) -> tuple[Any, dict[str, Span]]:
    # The scan comes first because it is also the depth check that keeps deep input away from the decoder.
    spans, duplicate = _scan_json(text)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise SourceError(f"invalid JSON: {error.msg}", Span(error.lineno, error.colno)) from None
    except _NonStandardConstant as error:
        span = _bare_span(text, re.escape(str(error)))
        raise SourceError(f"invalid JSON: {error} is not a JSON number", span) from None
    except ValueError:  # the only other: an integer too long for int()
        limit = sys.get_int_max_str_digits()
        raise SourceError(
            f"invalid JSON: a number has more than {limit} digits", _bare_span(text, rf"-?\d{{{limit + 1},}}")
        ) from None
    if duplicate is not None:
        raise duplicate
    if len(spans) > MAX_NODES:
        crossing = next(itertools.islice(spans.values(), MAX_NODES, None))
        raise SourceError(f"the document has more than {MAX_NODES:,} values", crossing)
    return data, spans


def _scan_json(text: str) -> tuple[dict[str, Span], SourceError | None]:
    """Map each value's pointer to its position in one pass over strings and brackets only.

    Scalars are never looked at: an array item starts where the whitespace after '[' or ',' ends, an object
    member at its key. The text may be invalid; the decoder that runs next reports that, so the scan just
    stops where the structure stops making sense.
    """
    positions = _Positions(text)
    root = _JSON_SPACE.match(text).end()
    spans = {"": positions.span(root)}
    duplicate: SourceError | None = None
    pointers: list[str] = []  # pointer of each open container
    indexes: list[int] = []  # index of the current item of each open array; -1 for an object
    value_pointer = ""  # pointer of the value that starts next
    expecting_key = False
    for match in _JSON_TOKEN.finditer(text, root):
        token = match.group()
        kind = token[0]
        if kind == '"':
            if not expecting_key:
                continue
            expecting_key = False
            key = token[1:-1]
            if "\\" in key:
                try:
                    key = json.loads(token)
                except ValueError:
                    break
            value_pointer = f"{pointers[-1]}/{_token(key)}"
            span = positions.span(match.start())
            if value_pointer not in spans:
                spans[value_pointer] = span
            elif duplicate is None:  # in valid JSON, only a repeated key repeats a pointer
                duplicate = _duplicate_error(key, spans[value_pointer], span)
        elif kind == ",":
            if not indexes:
                break
            index = indexes[-1]
            if index < 0:
                expecting_key = True
            else:
                indexes[-1] = index + 1
                value_pointer = f"{pointers[-1]}/{index + 1}"
                spans[value_pointer] = positions.span(match.end())
        elif kind == "[" or kind == "{":
            if len(pointers) == MAX_DEPTH:
                raise _depth_error(positions.span(match.start()))
            pointers.append(value_pointer)
            expecting_key = kind == "{"
            if expecting_key:
                indexes.append(-1)
            else:
                indexes.append(0)
                item = match.end()
                if text.startswith("]", item):
                    continue
                value_pointer = f"{value_pointer}/0"
                spans[value_pointer] = positions.span(item)
        else:
            if not pointers:
                break
            pointers.pop()
            indexes.pop()
            expecting_key = False
    return spans, duplicate


class _NonStandardConstant(ValueError):
    """NaN or Infinity: Python's decoder accepts them, JSON and CloudFormation do not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


def _bare_span(text: str, pattern: str) -> Span | None:
    """Where pattern first matches outside strings: for the rare errors the decoder reports without a position."""
    for match in re.finditer(rf'"[^"\\]*(?:\\.[^"\\]*)*"|({pattern})', text, re.DOTALL):
        if match.group(1):
            return _Positions(text).span(match.start(1))
    return None


# --- YAML ----------------------------------------------------------------------------------------------

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_CORE + name for name in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP = _CORE + "seq", _CORE + "map"

# CloudFormation short forms and the long-form key each becomes, as cfn-lint converts them.
_FUNCTIONS = {"!Ref": "Ref", "!Condition": "Condition"} | {
    f"!{name}": f"Fn::{name}"
    for name in (
        "GetAtt Sub Join Select Split If Equals And Or Not FindInMap ImportValue Base64 Cidr GetAZs "
        "Transform Length ToJsonString ForEach"
    ).split()
}
_GET_ATT = "Fn::GetAtt"

_SAFE_CONSTRUCTOR = SafeConstructor()
_SCALAR_CONSTRUCTORS: dict[str, Callable[[str], Any]] = {
    _STR: str,
    "!": str,
    _NULL: lambda value: None,
    _BOOL: lambda value: SafeConstructor.bool_values[value.lower()],
    _INT: lambda value: _SAFE_CONSTRUCTOR.construct_yaml_int(ScalarNode(_INT, value)),
    _FLOAT: lambda value: _SAFE_CONSTRUCTOR.construct_yaml_float(ScalarNode(_FLOAT, value)),
}
# SafeLoader's implicit typing of plain scalars, minus timestamps (CloudFormation's "Version: 2012-10-17"
# is a string), the merge key (handled where keys are) and '=' (which SafeLoader itself cannot construct).
_PLAIN_RESOLVERS = {
    first: [(_SCALAR_CONSTRUCTORS[tag], pattern) for tag, pattern in resolvers if tag in _SCALAR_CONSTRUCTORS]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}

_NO_KEY = object()  # a mapping waits for its next key
_MERGE_KEY = object()  # a mapping's pending key is '<<'


def parse_yaml(text: str, path: str) -> ParsedSource:
    """Parse one YAML document, CloudFormation short-form tags turned into their long form."""
    data, spans = _guarded(_load_yaml, text, "YAML")
    return ParsedSource(path, "yaml", data, spans)


def _load_yaml(text: str) -> tuple[Any, dict[str, Span]]:
    try:
        loader = yaml.CSafeLoader(text)  # encodes the text to UTF-8 for libyaml
    except UnicodeEncodeError as error:
        raise SourceError("the text contains an unpaired surrogate", _Positions(text).span(error.start)) from None
    try:
        builder = _YamlBuilder()
        return builder.build(loader.get_event), builder.spans
    except yaml.MarkedYAMLError as error:
        raise _yaml_error(error, text) from None
    except yaml.reader.ReaderError as error:
        raise _reader_error(error, text) from None
    finally:
        loader.dispose()


def _yaml_error(error: yaml.MarkedYAMLError, text: str) -> SourceError:
    """libyaml's problem and where it is; for input that ends too early, where the unfinished part starts."""
    problem, context = error.problem, error.context
    mark = error.problem_mark
    if problem and mark is not None and mark.index >= len(text) and error.context_mark is not None:
        problem = (
            problem.replace("end of stream", "end of the file")
            if "end of stream" in problem
            else f"{problem} before the end of the file"
        )
        mark = error.context_mark
    message = f"{problem} ({context})" if problem and context else problem or context or "malformed input"
    return SourceError(f"invalid YAML: {message}", _span(mark) if mark is not None else None)


def _reader_error(error: yaml.reader.ReaderError, text: str) -> SourceError:
    # libyaml reports the byte offset into the UTF-8 form of the text.
    character = f" (#x{error.character:04x})" if isinstance(error.character, int) else ""
    span = _byte_span(text.encode("utf-8"), 0, error.position, "utf-8")
    return SourceError(f"invalid YAML: {error.reason}{character}", span)


def _span(mark: yaml.Mark) -> Span:
    return Span(mark.line + 1, mark.column + 1)


def _scalar_value(event: yaml.ScalarEvent) -> Any:
    """A scalar's value: typed like SafeLoader does for plain scalars and standard tags, else a string."""
    tag = event.tag
    value = event.value
    if tag is None:
        if not event.implicit[0]:
            return value
        for construct, pattern in _PLAIN_RESOLVERS.get(value[:1], ()):
            if pattern.match(value):
                return _construct(construct, value, "number", event.start_mark)
        return value
    construct = _SCALAR_CONSTRUCTORS.get(tag)
    if construct is None:
        raise SourceError(f"unknown tag '{_display_tag(tag)}'", _span(event.start_mark))
    return _construct(construct, value, _display_tag(tag), event.start_mark)


def _construct(construct: Callable[[str], Any], value: str, kind: str, mark: yaml.Mark) -> Any:
    try:
        return construct(value)
    except (ValueError, LookupError):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise SourceError(f"{shown!r} is not a valid {kind}", _span(mark)) from None


def _display_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Collection:
    """A mapping or sequence being filled, and what it takes to finish it and place it in its parent."""

    __slots__ = (
        "value", "pointer", "is_mapping", "key", "key_pointer", "depth", "height", "first_node", "anchor",
        "function", "merges", "merge_span",
    )  # fmt: skip

    def __init__(
        self, value: dict | list, pointer: str, depth: int, first_node: int, anchor: str | None, function: str | None
    ) -> None:
        self.value = value
        self.pointer = pointer
        self.is_mapping = isinstance(value, dict)
        self.key: object = _NO_KEY
        self.key_pointer = ""
        self.depth = depth  # of this collection; its function wrapper, if any, is one level up
        self.height = 0  # of the highest child so far
        self.first_node = first_node
        self.anchor = anchor
        self.function = function
        self.merges: list[dict] = []  # mappings merged in with '<<', lowest precedence first
        self.merge_span: Span | None = None


class _YamlBuilder:
    """Builds plain values and spans from YAML events without recursion.

    A value behind an anchor is shared by every alias to it, but each alias adds the value's full size to
    the node count (so an alias bomb fails after a few events) and its height to the depth check.
    """

    def __init__(self) -> None:
        self.spans: dict[str, Span] = {}
        self.stack: list[_Collection] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, node count, height)
        self.nodes = 0
        self.root: Any = None

    def build(self, next_event: Callable[[], yaml.Event]) -> Any:
        next_event()  # StreamStartEvent
        if type(next_event()) is yaml.StreamEndEvent:
            self.spans[""] = Span(1, 1)
            return None
        while True:
            event = next_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._scalar(event)
            elif kind is yaml.MappingStartEvent:
                self._start(event, {})
            elif kind is yaml.SequenceStartEvent:
                self._start(event, [])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)
            else:  # DocumentEndEvent
                break
        event = next_event()
        if type(event) is yaml.DocumentStartEvent:
            raise SourceError("only one YAML document per file is supported", _span(event.start_mark))
        return self.root

    def _slot(self, mark: yaml.Mark) -> str | None:
        """Pointer of the node starting at mark, recording a sequence item's span; None for a mapping key."""
        if not self.stack:
            self.spans[""] = _span(mark)
            return ""
        parent = self.stack[-1]
        if parent.is_mapping:
            return None if parent.key is _NO_KEY else parent.key_pointer
        pointer = f"{parent.pointer}/{len(parent.value)}"
        self.spans[pointer] = _span(mark)
        return pointer

    def _depth(self) -> int:
        return self.stack[-1].depth if self.stack else 0

    def _count(self, nodes: int, mark: yaml.Mark, through_alias: bool = False) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            what = "alias expansion exceeds" if through_alias else "the document has more than"
            raise SourceError(f"{what} {MAX_NODES:,} values", _span(mark))

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        mark = event.start_mark
        pointer = self._slot(mark)
        tag = event.tag
        function = _FUNCTIONS.get(tag) if tag is not None else None
        if function is None:
            if pointer is None and tag is None and event.implicit[0] and event.value == "<<":
                self._set_merge_key(mark)
                return
            value = _scalar_value(event)
            nodes, height = 1, 0
        else:
            if pointer is None:
                raise SourceError(f"a mapping key cannot be a function such as {tag}", _span(mark))
            value, nodes, height = self._function_scalar(pointer, function, event.value, mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, nodes, height)
        if pointer is None:
            self._set_key(str(value), mark)
            return
        self._count(nodes, mark)
        self._place(value, height)

    def _function_scalar(self, pointer: str, function: str, text: str, mark: yaml.Mark) -> tuple[dict, int, int]:
        """The long form of a short-form function on a scalar, with its node count and height."""
        span = _span(mark)
        inner_pointer = f"{pointer}/{function}"
        self.spans[inner_pointer] = span
        if function == _GET_ATT:
            parts = text.split(".", 1)
            for index in range(len(parts)):
                self.spans[f"{inner_pointer}/{index}"] = span
            value, nodes, height = {function: parts}, 2 + len(parts), 2
        else:
            value, nodes, height = {function: text}, 2, 1
        if self._depth() + height > MAX_DEPTH:
            raise _depth_error(span)
        return value, nodes, height

    def _set_key(self, key: str, mark: yaml.Mark) -> None:
        parent = self.stack[-1]
        key_pointer = f"{parent.pointer}/{_token(key)}"
        span = _span(mark)
        if key in parent.value:
            raise _duplicate_error(key, self.spans.get(key_pointer), span)
        self.spans[key_pointer] = span
        parent.key = key
        parent.key_pointer = key_pointer

    def _set_merge_key(self, mark: yaml.Mark) -> None:
        parent = self.stack[-1]
        parent.merge_span = _span(mark)
        parent.key = _MERGE_KEY
        parent.key_pointer = f"{parent.pointer}/<<"  # spans of an inline merged mapping land nowhere real

    def _start(self, event: yaml.CollectionStartEvent, value: dict | list) -> None:
        mark = event.start_mark
        pointer = self._slot(mark)
        if pointer is None:
            raise SourceError("a mapping key must be a single value, not a mapping or a list", _span(mark))
        depth = self._depth() + 1
        tag = event.tag
        function = None
        if tag is not None and tag != "!" and tag != (_MAP if isinstance(value, dict) else _SEQ):
            function = _FUNCTIONS.get(tag)
            if function is None:
                raise SourceError(f"unknown tag '{_display_tag(tag)}'", _span(mark))
            pointer = f"{pointer}/{function}"
            self.spans[pointer] = _span(mark)
            depth += 1
        if depth > MAX_DEPTH:
            raise _depth_error(_span(mark))
        first_node = self.nodes
        self._count(1 if function is None else 2, mark)
        self.stack.append(_Collection(value, pointer, depth, first_node, event.anchor, function))

    def _end(self) -> None:
        collection = self.stack.pop()
        value = collection.value
        if collection.merges:
            value = self._merged(collection)
        height = collection.height + 1
        if collection.function is not None:
            value = {collection.function: value}
            height += 1
        if collection.anchor is not None:
            self.anchors[collection.anchor] = (value, self.nodes - collection.first_node, height)
        self._place(value, height)

    def _alias(self, event: yaml.AliasEvent) -> None:
        mark = event.start_mark
        entry = self.anchors.get(event.anchor)
        if entry is None:
            if any(collection.anchor == event.anchor for collection in self.stack):
                raise SourceError(f"alias '*{event.anchor}' is used inside its own anchor", _span(mark))
            raise SourceError(f"alias '*{event.anchor}' has no anchor before it", _span(mark))
        value, nodes, height = entry
        pointer = self._slot(mark)
        if pointer is None:
            if isinstance(value, (dict, list)):
                raise SourceError("a mapping key must be a single value, not a mapping or a list", _span(mark))
            self._set_key(str(value), mark)
            return
        if self._depth() + height > MAX_DEPTH:
            raise _depth_error(_span(mark))
        self._count(nodes, mark, through_alias=True)
        self._place(value, height)

    def _place(self, value: Any, height: int) -> None:
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        if height > parent.height:
            parent.height = height
        if not parent.is_mapping:
            parent.value.append(value)
            return
        if parent.key is _MERGE_KEY:
            self._add_merge(parent, value)
        else:
            parent.value[parent.key] = value
        parent.key = _NO_KEY

    @staticmethod
    def _add_merge(mapping: _Collection, value: Any) -> None:
        if isinstance(value, dict):
            mapping.merges.append(value)
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            mapping.merges.extend(reversed(value))  # the first mapping listed wins
        else:
            raise SourceError("a merge key '<<' needs a mapping or a list of mappings", mapping.merge_span)

    def _merged(self, mapping: _Collection) -> dict:
        merged: dict = {}
        for source in mapping.merges:
            merged.update(source)
        for key in merged.keys() - mapping.value.keys():
            self.spans[f"{mapping.pointer}/{_token(key)}"] = mapping.merge_span
        merged.update(mapping.value)
        return merged


# --- either --------------------------------------------------------------------------------------------


def parse_text(text: str, path: str) -> ParsedSource:
    """Parse JSON when the text looks like it and is, else YAML; JSON's error wins when both fail."""
    start = _JSON_SPACE.match(text).end()
    # A top-level JSON string too: YAML rejects JSON's surrogate-pair escapes ("\ud800\udc00").
    if not text.startswith(("{", "[", '"'), start):
        return parse_yaml(text, path)
    try:
        return parse_json(text, path)
    except SourceError as json_error:
        try:
            return parse_yaml(text, path)
        except SourceError:
            raise json_error from None


SHAPE_DEPTH = 64            # deeper than any real template; see top_level_shape


def top_level_shape(text: str) -> dict[str, str | None]:
    """The top-level keys of a mapping document and how each value starts ("map", "seq", "scalar"; None: the
    text breaks before the value), as far as the text parses.

    For deciding whether a file that fails to parse, or cannot be read whole, was meant to be an input:
    what parsed before the error is structure, not a guess from bytes. Not a mapping: empty.
    """
    shape: dict[str, str | None] = {}
    try:
        loader = yaml.CSafeLoader(text)
    except UnicodeEncodeError:
        return shape
    depth, key = 0, None
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if depth == 0 and kind is yaml.SequenceStartEvent:
                    return shape
                if depth == 1 and key is not None:
                    shape[key] = "map" if kind is yaml.MappingStartEvent else "seq"
                    key = None
                depth += 1
                if depth > SHAPE_DEPTH:
                    # libyaml's flow collections cost time quadratic in their nesting: 50,000 levels took
                    # 8 s here. The keys before this value are known; what follows it is not needed to
                    # tell what the file was meant to be, and the real parse reports the nesting.
                    return shape
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                depth -= 1
                if depth == 0:
                    return shape
            elif kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                if depth == 0:
                    return shape
                if depth == 1:
                    if key is None:
                        key = str(getattr(event, "value", "") or "")
                        shape[key] = None
                    else:
                        shape[key] = "scalar"
                        key = None
            elif kind is yaml.StreamEndEvent:
                return shape
    except Exception:  # the parse error itself is reported by the real parse; this only reads up to it
        return shape
    finally:
        loader.dispose()
