"""``rumpolicy audit``: check the RUM authorization chain of live AWS accounts, read-only.

The audit reads app monitors, identity pools, roles, policies and (where readable) service control
policies through boto3 (``rumpolicy.load.live``), runs the same rules as ``check`` with the same
configuration, suppressions and baselines (``rumpolicy.cli``), and reports what it could not read
(coverage). It imports boto3, so nothing on the ``check`` path imports this
package. Only the operations of ``rumpolicy.audit.readonly`` are ever called.

boto3 is an optional dependency (``pip install 'rumpolicy[audit]'``): ``run_audit`` first calls
``require_boto3``, so that without it the audit stops before any AWS work with ``MissingDependency``,
which says how to install it. It is an ``AuditError``, so the command line prints it as an error and
exits with status 2, and an ``ImportError`` for library callers who catch that.
"""

from rumpolicy.audit import runner
from rumpolicy.audit.progress import Progress
from rumpolicy.audit.runner import AuditError, AuditOptions, AuditResult

INSTALL_AUDIT = "pip install 'rumpolicy[audit]'"


class MissingDependency(AuditError, ImportError):
    """boto3 or botocore cannot be imported, so the audit cannot start."""


def require_boto3() -> None:
    """Import boto3 and botocore, or raise ``MissingDependency`` naming the module and the install command."""
    try:
        import boto3  # noqa: F401
        import botocore.session  # noqa: F401
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name:
            message = f"rumpolicy audit needs {error.name.split('.')[0]}, which is not installed: {INSTALL_AUDIT}"
        else:
            message = f"rumpolicy audit needs boto3, which cannot be imported ({error}): {INSTALL_AUDIT}"
        raise MissingDependency(message, name=error.name) from error


def run_audit(options: AuditOptions, progress: Progress) -> AuditResult:
    """``rumpolicy.audit.runner.run_audit``, once boto3 is known to be importable (``require_boto3``)."""
    require_boto3()
    return runner.run_audit(options, progress)


__all__ = ["AuditError", "AuditOptions", "AuditResult", "INSTALL_AUDIT", "MissingDependency", "require_boto3",
           "run_audit"]
