"""The README's table of automatic fixes is the one the rules' `fix=` metadata gives."""

from pathlib import Path

from rumpolicy.engine import registry
from rumpolicy.fix.plan import fix_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_fix_table_is_current() -> None:
    assert fix_table(registry()) in (ROOT / "README.md").read_text("utf-8")
