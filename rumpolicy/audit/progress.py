"""A plain progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class Progress:
    """``audit [##########--------------------]  12/36 reads, 1/3 accounts``, redrawn in place."""

    def __init__(self, stream: TextIO, total: int = 0):
        self.stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.total = total
        self.done = 0
        self.accounts_total = 0
        self.accounts_done = 0
        self._width = 0

    def grow(self, steps: int) -> None:
        self.total += steps
        self._draw()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._draw()

    def account_finished(self) -> None:
        self.accounts_done += 1
        self._draw()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        total = max(self.total, 1)
        filled = min(WIDTH, WIDTH * self.done // total)
        line = (f"audit [{'#' * filled}{'-' * (WIDTH - filled)}] {self.done:>4}/{self.total} reads, "
                f"{self.accounts_done}/{self.accounts_total} accounts")
        self._width = max(self._width, len(line))
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
