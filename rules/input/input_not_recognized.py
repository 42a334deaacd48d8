"""RUM-SRC-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.load.iam_json import NOT_RUM_RELATED
from rumpolicy.model.inputs import InputFile


@rule(id="RUM-SRC-002", name="input-not-recognized", severity=Severity.INFO, subject=InputFile)
def input_not_recognized(file: InputFile) -> Iterator:
    """A path given explicitly is not an input rumpolicy recognizes.

    ## What it checks
    Files named on the command line must be CloudFormation/SAM templates, CDK cloud assemblies,
    Terraform configuration or plan/state JSON, IAM policy documents, the JSON output of the AWS
    CLI calls rumpolicy reads (`iam get-role`, `get-role-policy`, `get-policy-version`,
    `get-account-authorization-details`, `cognito-identity describe-identity-pool` and
    `get-identity-pool-roles`, `rum get-app-monitor` and `get-resource-policy`), or pages, scripts
    and JSON files holding a RUM web client configuration. Files found by walking a folder are
    skipped quietly instead, and so are named files with `--skip-unrecognized` (the pre-commit hook).

    ## Why it matters
    Nothing you ask rumpolicy to check is skipped silently: a file you named that it did not
    understand is reported, so that a typo in a path or an unsupported format is not taken for a
    clean result.

    ## Fix
    Check the path, or pass the file in one of the supported formats.
    """
    if file.explicit and file.error is None and file.kind in (None, NOT_RUM_RELATED):
        if file.kind is None:
            yield Violation(file.location, f"{file.path} is not a template, Terraform, an IAM policy, AWS CLI "
                                           "output or a RUM web client configuration that rumpolicy reads; "
                                           "it was not checked")
        else:
            yield Violation(file.location, f"{file.path} is an IAM policy that grants no rum: action and "
                                           "names no Cognito principal: nothing to check for RUM")
    else:
        yield NOT_APPLICABLE
