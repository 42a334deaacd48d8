"""Rule ids that were given once and are never given again.

A baseline, a suppression or a dashboard that names a rule id must never come to mean another
check. When a rule is withdrawn or split, its id goes here with the reason (and what reports the
problem now, if anything); registration refuses a rule or alias that takes a retired id
(``rumpolicy.engine.validate``), and a suppression naming one is reported as naming no rule.

No id has been retired yet.
"""

from __future__ import annotations

from typing import Final, Mapping

RETIRED: Final[Mapping[str, str]] = {}
