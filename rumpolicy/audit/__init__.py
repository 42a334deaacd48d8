"""``rumpolicy audit``: check the RUM authorization chain of live AWS accounts, read-only.

The audit reads app monitors, identity pools, roles, policies and (where readable) service control
policies through boto3 (``rumpolicy.load.live``), runs the same rules as ``check`` with the same
configuration, suppressions and baselines (``rumpolicy.cli``), and reports what it could not read
(coverage). It imports boto3, so nothing on the ``check`` path imports this
package. Only the operations of ``rumpolicy.audit.readonly`` are ever called.
"""

from rumpolicy.audit.runner import AuditError, AuditOptions, AuditResult, run_audit

__all__ = ["AuditError", "AuditOptions", "AuditResult", "run_audit"]
