"""``--format markdown`` for ``check``: the same per-monitor chains as for audits, from templates."""

from __future__ import annotations

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_check_markdown_shows_the_chain_of_a_broken_template(cli):
    result = cli("check", str(EXAMPLES / "broken" / "rum-shop.yaml"), "--format", "markdown")

    assert result.status == 1
    text = result.out
    assert text.startswith("# rumpolicy report\n\n**3 errors, 1 warning, 0 info · 1 file checked**\n")
    assert "## examples/broken/rum-shop.yaml" in text
    assert "### App monitor `shop-example-com`" in text
    assert "| Identity pool | `${ShopIdentityPool}` | **FAIL** | RUM-POOL-002 |" in text
    assert "| Role trust | `ShopGuestRole` | **FAIL** | RUM-TRUST-002 |" in text
    assert "| Permissions | `ShopGuestRole` | **FAIL** | RUM-PERM-005, RUM-PERM-004 |" in text
    assert "| Resource policy | none | n/a |  |" in text
    assert "| error | RUM-POOL-002 | `ShopIdentityPool` | `examples/broken/rum-shop.yaml:12:7` |" in text
    assert "## Coverage" not in text          # only audits have coverage


def test_check_markdown_of_a_correct_template_passes_every_link(cli):
    result = cli("check", str(EXAMPLES / "correct" / "rum-web.yaml"), "--format", "markdown")

    assert result.status == 0
    rows = [line for line in result.out.splitlines() if line.startswith("| ") and "Link" not in line]
    assert rows and all("| pass |" in row or "| n/a |" in row for row in rows), rows
    assert "## Findings\n\nNone." in result.out


def test_markdown_cells_escape_table_syntax(cli, tmp_path):
    policy = tmp_path / "pipe|policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rum:*", '
                      '"Resource": "*"}]}')
    result = cli("check", str(policy), "--format", "markdown",
                 "--app-monitor", "arn:aws:rum:us-east-1:123456789012:appmonitor/web")

    table = [line for line in result.out.splitlines() if line.startswith("| ") and "pipe" in line]
    assert table and all("pipe\\|policy.json" in line for line in table)
    assert all(line.count(" | ") == 4 for line in table if line.startswith("| error") or line.startswith("| warning"))
