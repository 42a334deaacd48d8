"""PyYAML, imported without compiling a pattern that rumpolicy never uses.

Importing ``yaml`` compiles ``yaml.reader.Reader.NON_PRINTABLE``, a character class whose wide ranges
``re`` expands code point by code point: 5 ms, a third of importing yaml and 3 % of a cold
``rumpolicy check``. The pattern serves PyYAML's pure-Python reader; rumpolicy parses with libyaml
(``yaml.CSafeLoader``), whose reader never uses it. The same class written as its complement (the
few ranges outside it) compiles in 1 ms; placed in ``re``'s cache under the original text first, it
is what ``yaml.reader`` gets. Should ``re``'s cache differ in another Python, yaml compiles the
original, as before: only slower. tests/load/test_pyyaml.py checks that both match the same code
points and that yaml.reader gets the complement.
"""

from __future__ import annotations

import re
import sys

# As yaml/reader.py (PyYAML 6) writes it, and the same set of code points as a positive class.
NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
NON_PRINTABLE_COMPLEMENT = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"

_cache = getattr(re, "_cache", None)
if isinstance(_cache, dict) and "yaml" not in sys.modules:
    _cache.setdefault((str, NON_PRINTABLE, 0), re.compile(NON_PRINTABLE_COMPLEMENT))

import yaml  # noqa: E402  (after the cache is seeded)
from yaml.constructor import SafeConstructor  # noqa: E402
from yaml.nodes import ScalarNode  # noqa: E402
from yaml.resolver import Resolver  # noqa: E402

__all__ = ["Resolver", "SafeConstructor", "ScalarNode", "yaml"]
