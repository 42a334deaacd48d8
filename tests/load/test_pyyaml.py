"""The pattern rumpolicy.load.pyyaml puts in re's cache is yaml.reader's, written as its complement."""

from __future__ import annotations

import re
import subprocess
import sys

from rumpolicy.load.pyyaml import NON_PRINTABLE, NON_PRINTABLE_COMPLEMENT


def test_both_classes_match_the_same_code_points():
    every = "".join(map(chr, range(sys.maxunicode + 1)))           # lone surrogates included
    # re.UNICODE changes nothing for a str pattern but the cache key: the original is compiled anew.
    theirs = [m.start() for m in re.compile(NON_PRINTABLE, re.UNICODE).finditer(every)]
    ours = [m.start() for m in re.compile(NON_PRINTABLE_COMPLEMENT).finditer(every)]
    assert ours == theirs
    assert len(ours) == 9 + 2 + 18 + 6 + 26 + 2048 + 2     # C0 but tab/LF/CR, DEL..NEL, C1, surrogates, FFFE/F


def test_yaml_reader_gets_the_complement_and_still_refuses_what_it_refused():
    script = ("import rumpolicy.load.source, yaml.reader, re; "
              "print(yaml.reader.Reader.NON_PRINTABLE.pattern == rumpolicy.load.pyyaml.NON_PRINTABLE_COMPLEMENT)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "True"
    # The pure-Python reader (not rumpolicy's) still reports a control character as before.
    import yaml

    try:
        yaml.load("a: \x01", Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:
        assert "special characters are not allowed" in str(error)
    else:
        raise AssertionError("the pure-Python reader accepted a control character")
