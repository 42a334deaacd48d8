"""Where the project is, and how reports name its files.

Reports that other tools read (SARIF, JUnit, GitHub annotations, GitLab, baselines) name files
relative to the project root, so that they mean the same thing on every machine and in every
checkout. The root is the git work tree around the current directory, else the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def present(path: Path, *, file: bool = False) -> bool:
    """``path.exists()`` (``path.is_file()`` with ``file``), False where the user may not look.

    ``Path.exists`` and ``is_file`` raise PermissionError for a path below a folder this user may not
    search (a 0700 home or temporary folder above the project): not knowing is not a defect of ours.
    """
    try:
        return path.is_file() if file else path.exists()
    except OSError:
        return False


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current directory) holding ``.git``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if present(folder / ".git"):
            return folder
    return here


def is_file_source(source: str) -> bool:
    """Locations name a file, or a live account (``aws://ACCOUNT/REGION``) or ``<rumpolicy>`` itself."""
    return "://" not in source and not source.startswith("<")


def project_path(source: str, root: Path) -> str:
    """``source`` relative to ``root`` in POSIX form; absolute when outside it; other sources unchanged."""
    if not is_file_source(source):
        return source
    absolute = Path(os.path.abspath(source))
    try:
        return PurePosixPath(absolute.relative_to(root)).as_posix()
    except ValueError:
        return absolute.as_posix()
