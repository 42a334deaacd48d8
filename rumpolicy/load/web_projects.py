"""What a run needs of the web client's inputs before any is parsed, without loading the web client's
loader (rumpolicy.load.webclient, its parsers and grammars): which files are web sources and JSON
configs, and the projects around the clients (``WebProjects``), read once per run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rumpolicy.load.source import DEFAULT_MAX_BYTES, FileBytes, ParsedSource, SourceError, parse_json
from rumpolicy.model.resources import WebClientConfig

WEB_SOURCE_EXTENSIONS = frozenset({".html", ".htm", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
CONFIG_RECOGNIZED_BY = ("applicationRegion", "identityPoolId", "guestRoleArn", "endpoint", "signing", "appMonitorName")
# RUM-CLIENT-007: a signing client without an identity pool needs `setAwsCredentials` somewhere in its web
# project. Any mention counts (a comment, the library's own bundle), so the rule errs towards silence; the
# project's scripts and pages are read up to this many files, each within --max-file-size.
CREDENTIALS_COMMAND = b"setAwsCredentials"
PROJECT_SCRIPT_EXTENSIONS = WEB_SOURCE_EXTENSIONS | {".vue", ".svelte", ".astro"}
MAX_PROJECT_FILES = 5000


def is_web_source(path: str) -> bool:
    return Path(path).suffix.lower() in WEB_SOURCE_EXTENSIONS


def is_client_config(data: Any) -> bool:
    """A JSON config file of the web client: ``applicationId`` next to the client's own keys."""
    return isinstance(data, dict) and "applicationId" in data and any(k in data for k in CONFIG_RECOGNIZED_BY)


def _project_mentions_credentials(folder: Path, max_bytes: int,
                                  known: dict[str, bool | None] | None = None) -> bool | None:
    """Does a script or page of the web project below ``folder`` mention `setAwsCredentials`?

    False only when every one of them was read; None when one was above ``max_bytes``, unreadable, or
    the project has more than MAX_PROJECT_FILES of them. Folders the walker skips (node_modules,
    .git ...) and hidden ones are not part of the project's own code. ``known``: by real path, what the
    files already read in this run say (None: above the limit or unreadable); the others are read
    once and added to it.
    """
    from rumpolicy.load import SKIP_DIRS

    known = {} if known is None else known
    complete, seen = True, 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() not in PROJECT_SCRIPT_EXTENSIONS:
                continue
            seen += 1
            if seen > MAX_PROJECT_FILES:
                return None
            path = os.path.join(root, name)
            real = os.path.realpath(path)
            if real not in known:
                known[real] = _mentions_credentials(FileBytes(path, max_bytes))
            mentions = known[real]
            if mentions:
                return True
            if mentions is None:
                complete = False
    return False if complete else None


def _mentions_credentials(data: FileBytes) -> bool | None:
    """Whether a file mentions `setAwsCredentials`; None when it is above the size limit or unreadable.

    FileBytes refuses FIFOs, sockets and devices: a pipe named app.js must not block the run.
    """
    try:
        return CREDENTIALS_COMMAND in data.raw()
    except SourceError:
        return None


# The files of a web project that tell the build and version of its client.
PACKAGE_FILES = frozenset({"package.json", "package-lock.json"})


class WebProjects:
    """What the web client loaders read of the projects around the clients, each file once per run.

    The run's loader hands over what it read of its inputs: ``package.json`` and ``package-lock.json``
    (``file``, kept for the clients' build and version) and whether each script or page mentions
    `setAwsCredentials` (``saw``). The project scans of RUM-CLIENT-007 wait for ``finish``, when every
    input has been read, so that they read only the project files that are not inputs. Not ``deferred``
    (a file loaded on its own), a client's project is scanned at once.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, *, deferred: bool = True) -> None:
        self.max_bytes = max_bytes
        self.deferred = deferred
        self.packages: dict[str, FileBytes] = {}                       # real path -> its bytes
        self.parsed: dict[tuple[str, str], ParsedSource | None] = {}   # (real path, as shown) -> parsed
        self.mentions: dict[str, bool | None] = {}                     # real path -> mentions setAwsCredentials
        self.scans: dict[str, bool | None] = {}                        # origin -> project_sets_credentials
        self.pending: list[tuple[WebClientConfig, bool]] = []

    def file(self, path: str, max_bytes: int) -> FileBytes:
        """The bytes of an input file, shared with the package reads when it is a package file."""
        if os.path.basename(path) not in PACKAGE_FILES:
            return FileBytes(path, max_bytes)
        real = os.path.realpath(path)
        data = self.packages.get(real)
        if data is None or data.max_bytes != max_bytes:
            data = self.packages[real] = FileBytes(path, max_bytes)
        return data

    def saw(self, path: str, data: FileBytes) -> None:
        """What a loader read of a project script or page: whether it mentions `setAwsCredentials`."""
        if data.touched and Path(path).suffix.lower() in PROJECT_SCRIPT_EXTENSIONS:
            self.mentions[os.path.realpath(path)] = _mentions_credentials(data)
        elif os.path.basename(path) in PACKAGE_FILES:
            data.keep_text_only()      # kept for the clients' build and version: as text only

    def package(self, path: Path, shown: str) -> ParsedSource | None:
        """A project file read for context only: when it is unreadable, the facts it would give stay unknown."""
        if not path.is_file():
            return None
        real = os.path.realpath(path)
        key = (real, shown)
        if key not in self.parsed:
            data = self.packages.get(real)
            if data is None:
                data = self.packages[real] = FileBytes(str(path), self.max_bytes)
            try:
                self.parsed[key] = parse_json(data.text(), shown)
            except SourceError:
                self.parsed[key] = None
        return self.parsed[key]

    def credentials(self, client: WebClientConfig, only_when_found: bool = False) -> None:
        """Settle ``client.project_sets_credentials`` from its project (at ``finish`` when deferred).
        ``only_when_found``: set it only when the project mentions the call (a JSON config's client)."""
        if self.deferred:
            self.pending.append((client, only_when_found))
        else:
            self._settle(client, only_when_found)

    def finish(self) -> None:
        pending, self.pending = self.pending, []
        for client, only_when_found in pending:
            self._settle(client, only_when_found)

    def _settle(self, client: WebClientConfig, only_when_found: bool) -> None:
        origin = client.origin
        if origin not in self.scans:
            self.scans[origin] = _project_mentions_credentials(Path(origin), self.max_bytes, self.mentions)
        found = self.scans[origin]
        if found or not only_when_found:
            client.project_sets_credentials = found
