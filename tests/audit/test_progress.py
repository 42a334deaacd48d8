"""The progress bar: drawn on stderr only when it is a terminal, and cleared when the audit ends."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading

from rumpolicy.audit.progress import Progress
from tests.audit.conftest import REGION
from tests.aws_standin import DEFAULT_ACCOUNT
from tests.conftest import ROOT


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_in_place_on_a_terminal_only():
    plain = io.StringIO()
    Progress(plain, total=4).advance()
    assert plain.getvalue() == ""
    screen = Terminal()
    progress = Progress(screen)
    progress.accounts_total = 1
    progress.grow(4)
    progress.advance(2)
    progress.account_finished()
    progress.close()
    frames = screen.getvalue().split("\r")
    assert "audit [###############---------------]    2/4 reads, 1/1 accounts" in [f.rstrip() for f in frames]
    assert frames[-1] == "" and frames[-2].strip() == ""      # cleared at the end


def test_audit_in_a_terminal_shows_progress_on_stderr(world):
    world.guest_setup(DEFAULT_ACCOUNT, "shop", 0)
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "rumpolicy", "audit", "--region", REGION],
                               stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=dict(os.environ))
    os.close(slave)
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:       # the child closed the terminal
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    assert process.returncode == 0, out
    assert b"audit [" in seen and b"reads, 1/1 accounts" in seen
    assert b"audit [" not in out                              # the report itself stays clean
    assert out.decode().rstrip().endswith("scopes fully checked")
