"""The parts of an HTML page the web client is configured in: inline scripts, comments and
Content-Security-Policy ``<meta>`` elements (rumpolicy.load.webclient reads them). A module of its own so
that ``html.parser`` is imported only when a page is read."""

from __future__ import annotations

from html.parser import HTMLParser

from rumpolicy.findings import Span

JAVASCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript",
                    "application/ecmascript", "text/jsx", "text/babel"}


class Page(HTMLParser):
    """The inline scripts, comments and Content-Security-Policy ``<meta>`` elements of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[int, int, str]] = []        # (line, 0-based column, text)
        self.comments: list[tuple[Span, str]] = []
        self.policies: list[tuple[Span, str]] = []
        self._script: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "script":
            kind = values.get("type", "").strip().lower()
            self._script = [] if kind in JAVASCRIPT_TYPES and "src" not in values else None
        elif tag == "meta" and values.get("http-equiv", "").strip().lower() == "content-security-policy":
            line, column = self.getpos()
            self.policies.append((Span(line, column + 1), values.get("content", "")))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            if not self._script:
                self._script.append(self.getpos())
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._flush()

    def handle_comment(self, data: str) -> None:
        line, column = self.getpos()
        self.comments.append((Span(line, column + 1), data))

    def _flush(self) -> None:
        if self._script:
            (line, column), *chunks = self._script
            self.scripts.append((line, column, "".join(chunks)))
        self._script = None

    def close(self) -> None:
        super().close()
        self._flush()
