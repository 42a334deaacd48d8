"""Shared by RUM-XREF-002 (account) and RUM-XREF-003 (partition): where the enhanced-flow chain lives.

Both rules ask the same question of one field of the environment: are the roles attached to the
monitor's identity pool as `unauthenticated`, and the pool itself, where the app monitor is?
"""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Undecided, Violation
from rumpolicy.model import AppMonitor
from rumpolicy.model.arns import is_literal, maybe_arn, parse_arn, same
from rumpolicy.chain.coverage import enhanced_role_arns
from rumpolicy.model.messages import Place, UndecidedPlace, Value
from rumpolicy.model.symbols import is_unknown

# The messages of ``misplaced_links``: both rules' ``messages``. ``field`` is "account" or "partition".
MESSAGES = {
    "role-deploy-time": "the role `{role}` attached to identity pool {pool} is only known at deployment, so its "
                        "{field} was not compared with the app monitor's",
    "role-misplaced": "role `{role}` attached as `unauthenticated` to identity pool {pool} is in {role_place}, but "
                      "app monitor {monitor} is in {monitor_place}",
    "role-undecided": "{comparison}",
    "pool-misplaced": "identity pool {pool} is in {pool_place}, but app monitor {monitor} is in {monitor_place}",
    "pool-undecided": "{comparison}",
}


def misplaced_links(monitor: AppMonitor, field: str) -> Iterator[Violation | Undecided]:
    """Findings for ``field`` ("account" or "partition") of the attached roles and the pool."""
    pool = monitor.identity_pool
    mine = getattr(monitor.env, field)
    for _attachment, node in enhanced_role_arns(monitor):
        value = node.value
        if is_unknown(value):
            continue        # the loader reports the unresolved value
        arn = parse_arn(value)
        shown = Value(monitor, value)
        if arn is None:
            if maybe_arn(value):
                yield Undecided(node, "role-deploy-time", role=shown, pool=pool, field=field)
            continue        # not an ARN at all: other rules report it; nothing to say about its place
        theirs = getattr(arn, field)
        equal = same(theirs, mine)
        if equal is False:
            yield Violation(node, "role-misplaced", role=shown, pool=pool, role_place=Place(monitor, theirs, field),
                            monitor=monitor, monitor_place=Place(monitor, mine, field))
        elif equal is None:
            yield Undecided(node, "role-undecided",
                            comparison=UndecidedPlace(monitor, field, "guest role", theirs, mine))
    theirs = getattr(pool.env, field)
    if theirs and (is_literal(theirs) or is_literal(mine) or theirs == mine):
        # Two unknowns (API output without --account) say nothing; the loader reports the missing environment.
        equal = same(theirs, mine)
        where = monitor.identity_pool_id or monitor
        if equal is False:
            yield Violation(where, "pool-misplaced", pool=pool, pool_place=Place(monitor, theirs, field),
                            monitor=monitor, monitor_place=Place(monitor, mine, field))
        elif equal is None:
            yield Undecided(where, "pool-undecided",
                            comparison=UndecidedPlace(monitor, field, "identity pool", theirs, mine))
