"""Three-valued IAM policy evaluation for the CloudWatch RUM authorization chain (section 6, RUM-IAM).

``evaluate`` answers ALLOW, DENY or UNKNOWN for one request against a ``PolicySet`` and says which
statements decided and why. Importing this package stays light: the botocore action catalogue
(``rumpolicy.iam.actions``) and the Cognito managed policies (``rumpolicy.iam.cognito``) load on
their own import.
"""

from rumpolicy.iam.evaluator import (Decision, EvaluationResult, PolicyLike, PolicySet, StatementRef,
                                     evaluate, statement_matches)
from rumpolicy.iam.globs import glob_intersects, match_action, match_resource
from rumpolicy.iam.principals import RequestPrincipal
from rumpolicy.iam.tri import Tri

__all__ = [
    "Decision", "EvaluationResult", "PolicyLike", "PolicySet", "RequestPrincipal", "StatementRef", "Tri",
    "evaluate", "glob_intersects", "match_action", "match_resource", "statement_matches",
]
