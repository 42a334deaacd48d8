"""A custom AWS Config rule: the Lambda handler ``rumpolicy.aws_config.handler``.

Config invokes the function when an ``AWS::RUM::AppMonitor``, ``AWS::Cognito::IdentityPool`` or
``AWS::IAM::Role`` changes, and periodically. The handler reads the RUM authorization chain around
the resource read-only, exactly as ``rumpolicy audit`` does (the same readers, model and rules),
and reports a verdict per resource with ``config:PutEvaluations``. The design, module by module:

* ``events``: the event as Config sends it (change, oversized change, scheduled); a malformed one
  raises, so Lambda reports the error instead of a guessed verdict.
* ``scope``: what each trigger reads (a monitor: that monitor's chain; a pool or a role: the
  monitors of its region(s) that use it, and their chains; scheduled: every monitor of the region),
  the service control policies as the audit reads them, and what is settled before any rule runs
  (deleted, out of scope, used by no monitor: NOT_APPLICABLE).
* ``evaluate``: resources named as Config records them (a monitor by name, a pool by id, a role
  by RoleId); NON_COMPLIANT for a finding at or above the ``FailOn`` parameter, for any check not
  made (RUM-SRC-001/003: never a false pass), and for a monitor whose pool or role is; annotations
  of at most 256 characters, rule ids first.
* ``run``: credentials (AssumeRole into ``RUMPOLICY_MEMBER_ROLE_NAME`` for another account's event),
  the oversized item from ``GetResourceConfigHistory``, a deadline from the invocation's remaining
  time, ``PutEvaluations`` in batches of 100 with the result token and retries of failed
  evaluations, the optional Security Hub export (``RUMPOLICY_SECURITY_HUB=true``), a JSON log line.
* ``allowed``: every operation the handler may call; every client is guarded by it.

Rule parameters: ``FailOn`` (error | warning | info; default error), ``Select`` and ``Ignore``
(comma-separated rule ids, as ``--select``/``--ignore``).

Importing this package imports nothing else, so that a cold start pays for boto3 and the rules
only once the first event arrives.
"""

from __future__ import annotations

from typing import Any


def handler(event: Any, context: Any) -> dict:
    """The Lambda entry point (``rumpolicy.aws_config.handler``): see ``rumpolicy.aws_config.run.handle``."""
    from rumpolicy.aws_config.run import handle

    return handle(event, context)
