"""The pipeline in one call: load -> model -> engine -> suppressions -> findings."""

from __future__ import annotations

from typing import Iterable

from rumpolicy.engine import RunResult, run
from rumpolicy.load import LoadOptions, load_paths


def check(paths: Iterable[str], options: LoadOptions | None = None) -> RunResult:
    from rumpolicy import suppress

    inventory = load_paths(paths, options or LoadOptions())
    return suppress.apply(run(inventory), inventory.files)
