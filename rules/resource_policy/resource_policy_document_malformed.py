"""RUM-RBP-009."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.dialect import prop
from rumpolicy.model.symbols import Unknown


@rule(id="RUM-RBP-009", name="resource-policy-document-malformed", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-rum-appmonitor-resourcepolicy.html",
                  "https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_PutResourcePolicy.html"))
def resource_policy_document_malformed(policy: ResourcePolicy) -> Iterator:
    """The app monitor's resource-based policy document is not a valid JSON policy string.

    ## What it checks
    CloudFormation's `AWS::RUM::AppMonitor` `ResourcePolicy.PolicyDocument` (and Terraform's
    `policy_document`) is a **string** holding a JSON policy, often built with `!Sub`. Reported, at
    the `PolicyDocument` property:

    * a missing `PolicyDocument`;
    * a YAML/JSON object where the string belongs (CloudFormation does not serialize it);
    * a string that is not valid JSON, such as a `!Sub` template with a trailing comma;
    * a document whose shape IAM rejects (`Statement` not an object or list, `Action: 5`, an
      unknown element, a statement without `Effect` ...).

    ## Why it matters
    `PutResourcePolicy` rejects the document with `MalformedPolicyDocumentException` (CloudFormation
    fails the stack first for an object), so the monitor gets no policy and unsigned clients get 403.

    ## Fix
    Write the document as one JSON string:

    ```yaml
    ResourcePolicy:
      PolicyDocument: !Sub |
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "rum:PutRumEvents",
                        "Resource": "arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/web"}]}
    ```

    In Terraform, let `jsonencode` write the string:

    ```hcl
    resource "aws_rum_resource_policy" "web" {
      app_monitor_name = aws_rum_app_monitor.web.name
      policy_document = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = "*"
          Action    = "rum:PutRumEvents"
          Resource  = aws_rum_app_monitor.web.arn
        }]
      })
    }
    ```
    """
    raw = policy.raw
    doc = policy.document
    field = prop(policy, "PolicyDocument")
    if raw is None:
        # A policy read from its own file (a bare JSON document, `get-resource-policy` output) has no
        # property to be malformed; only its shape can be wrong.
        if doc is None:
            yield Violation(policy, f"resource policy {policy.subject} has no `{field}`")
        elif doc.problems:
            yield Violation(doc.problems[0].location, f"the resource policy is not a valid policy: "
                                                      f"{doc.problems[0].message}{_more(doc.problems)}")
        return
    if isinstance(raw.value, Unknown):
        yield Undecided(raw, f"the `{field}` of {policy.subject} could not be resolved ({raw.value.reason}), "
                             "so whether it is valid JSON was not checked")
        return
    if isinstance(raw.value, (dict, list)):
        kind = "an object" if isinstance(raw.value, dict) else "a list"
        yield Violation(raw, f"`{field}` is {kind}, not the JSON string RUM expects")
        return
    if not isinstance(raw.value, str):
        yield Violation(raw, f"`{field}` is `{raw.value!r}`, not the JSON string RUM expects")
        return
    if doc is not None and doc.problems:
        yield Violation(raw, f"`{field}` is not a valid policy: {doc.problems[0].message}{_more(doc.problems)}")


def _more(problems) -> str:
    extra = len(problems) - 1
    return f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra > 0 else ""
