"""RUM-SRC-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import NOT_APPLICABLE, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model.inputs import NOT_RUM_RELATED, InputFile
from rumpolicy.model.messages import Said


@rule(id="RUM-SRC-002", name="input-not-recognized", severity=Severity.INFO, subject=InputFile,
      messages={
          "note": "{note}",
          "not-recognized": "{path} is not a template, Terraform, an IAM policy, AWS CLI output or a RUM web client "
                            "configuration that rumpolicy reads; it was not checked",
          "not-rum-related": "{path} is an IAM policy that grants no rum: action and names no Cognito principal: "
                             "nothing to check for RUM",
      })
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

    Two notes are made wherever the file was found: the source of a CDK app that uses RUM or Cognito
    constructs, when no `cdk.out` cloud assembly was found beside it (rumpolicy checks the synthesized
    templates, not the TypeScript or Python), and a resource whose type is not a real one but is close
    to a RUM, Cognito or IAM one, so the resource was not checked: a template `Type` such as
    `AWS::RUM::Appmonitor`, or a Terraform resource type such as `aws_cloudwatch_rum_app_monitor`
    (`aws_rum_app_monitor`).

    ## Why it matters
    Nothing you ask rumpolicy to check is skipped silently: a file you named that it did not
    understand is reported, so that a typo in a path or an unsupported format is not taken for a
    clean result.

    ## Fix
    Check the path, or pass the file in one of the supported formats. For a CDK app, run `cdk synth` and
    check `cdk.out`. For a misspelled resource type, use the type the message names.
    """
    for note in file.notes:
        yield Violation(note.location, "note", note=Said(note.message))
    if file.explicit and file.error is None and file.kind in (None, NOT_RUM_RELATED) and not file.notes \
            and not file.problems:
        if file.kind is None:
            yield Violation(file.location, "not-recognized", path=file.path)
        else:
            yield Violation(file.location, "not-rum-related", path=file.path)
    elif not file.notes:
        yield NOT_APPLICABLE
    # (A file with located problems, such as a refused CDK manifest, is reported by RUM-SRC-000.)
