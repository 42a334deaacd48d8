"""``--format html``: one self-contained page, the chains drawn as inline SVG, the findings filterable; and
the page in a real headless Chromium (no console error, the nodes still there after the script ran, a
screenshot kept; with RUMPOLICY_UPDATE_PICTURE=1 also as docs/chain-broken.png for the README)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from rumpolicy.api import Options, check
from rumpolicy.report import Report
from rumpolicy.report.graph import graphs
from rumpolicy.report.html import SCRIPT, SCRIPT_HASH, render
from rumpolicy.report.markdown import PASS, ChainLink, MonitorChain
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
PICTURE = ROOT / "docs" / "chain-broken.png"


class Page(HTMLParser):
    """The elements of a page, with their attributes, and its text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _page(cli, *args: str) -> str:
    result = cli("check", *args, "--no-config", "--format", "html")
    assert result.status == 1 and result.err == "", result.err
    return result.out


def test_one_svg_node_per_resource_and_one_edge_per_link(cli):
    text = _page(cli, str(EXAMPLES / "broken"), str(EXAMPLES / "correct"))
    page = Page(text)
    drawn = graphs(check([str(EXAMPLES / "broken"), str(EXAMPLES / "correct")], Options(chains=True)).chains)
    assert len(page.all("svg")) == len(drawn) == 2
    nodes = [a["data-node"] for t, a in page.elements if t == "g" and "data-node" in a]
    assert nodes == [n.id for g in drawn for n in g.nodes]
    edges = [(a["data-source"], a["data-target"], a["data-state"]) for t, a in page.elements
             if t == "g" and "data-source" in a]
    assert edges == [(e.source, e.target, e.state) for g in drawn for e in g.edges]
    assert '<g class="edge broken" data-source="guest_role" data-target="trust_policy"' in text
    assert "RUM-TRUST-002</text>" in text and 'class="edge notchecked"' in text
    assert "marker-end=\"url(#m1-ok)\"" in text          # arrowheads of the second chain are its own


def test_findings_table_has_rows_to_filter_by_severity_and_rule(cli):
    page = Page(_page(cli, str(EXAMPLES / "broken")))
    rows = [a for t, a in page.elements if t == "tr" and "data-rule" in a]
    assert [(r["data-severity"], r["data-rule"]) for r in rows] == [
        ("error", "RUM-POOL-002"), ("error", "RUM-TRUST-002"), ("error", "RUM-PERM-005"), ("warning", "RUM-PERM-004")]
    assert [a["name"] for a in page.all("select")] == ["severity", "rule"]      # no account/region outside audits
    assert "hidden" in page.all("form", id="filters")[0]          # without the script: every row, no filters


def test_audit_page_filters_by_account_and_region_too():
    report = check([str(EXAMPLES / "broken")], Options(chains=True))
    page = Page(render(replace(report, coverage=()), root=ROOT))
    assert [a["name"] for a in page.all("select")] == ["severity", "rule", "scope"]
    assert "Coverage" in "".join(page.text)


def test_everything_from_the_input_is_text():
    chain = MonitorChain("t.yaml", EVIL, EVIL, (ChainLink("App monitor", f"`{EVIL}`", PASS),
                                                ChainLink("Identity pool", EVIL, "FAIL", ("RUM-POOL-002",))),
                         notes=(EVIL,))
    report = check([str(EXAMPLES / "correct")], Options())
    text = render(Report(report.result, 0, chains=(chain,)), root=ROOT)
    page = Page(text)
    assert [t for t, _ in page.elements].count("script") == 1 and not page.all("img")
    assert not any(k.startswith("on") for _, a in page.elements for k in a)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert any("<script>alert(1)</script>" in part for part in page.text)       # shown, as text


def test_nothing_is_loaded_from_anywhere(cli):
    text = _page(cli, str(EXAMPLES / "broken"))
    page = Page(text)
    for tag, attrs in page.elements:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        if tag in ("script", "image", "use", "source"):
            assert not attrs.get("src") and not attrs.get("href"), (tag, attrs)
    assert not re.search(r"(?:src|@import|url)\s*[=(]\s*[\"']?(?:https?:)?//", text)
    assert "@font-face" not in text
    (policy,) = page.all("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in policy["content"] and f"'sha256-{SCRIPT_HASH}'" in policy["content"]
    assert f"<script>{SCRIPT}</script>" in text and "addEventListener(\"change\"" in SCRIPT


CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                 if p), None)


def _chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                           "--window-size=1280,900", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs the distribution's)")
def test_page_in_a_real_browser(cli, tmp_path):
    page = tmp_path / "broken.html"
    result = cli("check", str(EXAMPLES / "broken"), "--no-config", "--format", "html", "-o", str(page))
    assert result.status == 1
    started = time.monotonic()
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    console = [line for line in dom.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line]
    assert console == []
    after = Page(dom.stdout)
    assert 'data-filters="ready"' in dom.stdout                   # the script ran to its end
    assert "hidden" not in after.all("form", id="filters")[0]
    drawn = graphs(check([str(EXAMPLES / "broken")], Options(chains=True)).chains)
    assert [a["data-node"] for t, a in after.elements if t == "g" and "data-node" in a] == [n.id for n in drawn[0].nodes]
    assert "4 of 4 shown" in dom.stdout
    shot = tmp_path / "chain-broken.png"
    taken = _chromium(tmp_path, f"--screenshot={shot}", page.as_uri())
    assert taken.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", taken.stderr
    print(f"browser: {time.monotonic() - started:.1f}s; screenshot: {shot}")
    if os.environ.get("RUMPOLICY_UPDATE_PICTURE") == "1":
        shutil.copyfile(shot, PICTURE)
