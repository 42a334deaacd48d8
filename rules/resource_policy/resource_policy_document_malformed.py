"""RUM-RBP-009."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Undecided, Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import ResourcePolicy
from rumpolicy.model.messages import Prop, Said
from rumpolicy.model.symbols import Unknown


@rule(id="RUM-RBP-009", name="resource-policy-document-malformed", severity=Severity.ERROR, subject=ResourcePolicy,
      references=("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-rum-appmonitor-resourcepolicy.html",
                  "https://docs.aws.amazon.com/cloudwatchrum/latest/APIReference/API_PutResourcePolicy.html"),
      messages={
          "document-missing": "resource policy {policy} has no `{field}`",
          # A policy read from its own file: the problems of the document itself.
          "document-invalid": "the resource policy is not a valid policy: {problem}",
          "document-invalid-and-1": "the resource policy is not a valid policy: {problem} (and 1 more problem)",
          "document-invalid-and-n": "the resource policy is not a valid policy: {problem} (and {more} more problems)",
          "document-unresolved": "the `{field}` of {policy} could not be resolved ({reason}), so whether it is valid "
                                 "JSON was not checked",
          "document-object": "`{field}` is an object, not the JSON string RUM expects",
          "document-list": "`{field}` is a list, not the JSON string RUM expects",
          "document-not-string": "`{field}` is `{value}`, not the JSON string RUM expects",
          "property-invalid": "`{field}` is not a valid policy: {problem}",
          "property-invalid-and-1": "`{field}` is not a valid policy: {problem} (and 1 more problem)",
          "property-invalid-and-n": "`{field}` is not a valid policy: {problem} (and {more} more problems)",
      })
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
    field = Prop(policy, "PolicyDocument")
    if raw is None:
        # A policy read from its own file (a bare JSON document, `get-resource-policy` output) has no
        # property to be malformed; only its shape can be wrong.
        if doc is None:
            yield Violation(policy, "document-missing", policy=policy, field=field)
        elif doc.problems:
            yield Violation(doc.problems[0].location, _more("document-invalid", doc.problems),
                            problem=Said(doc.problems[0].message), more=len(doc.problems) - 1)
        return
    if isinstance(raw.value, Unknown):
        yield Undecided(raw, "document-unresolved", field=field, policy=policy, reason=Said(raw.value.reason))
        return
    if isinstance(raw.value, (dict, list)):
        yield Violation(raw, "document-object" if isinstance(raw.value, dict) else "document-list", field=field)
        return
    if not isinstance(raw.value, str):
        yield Violation(raw, "document-not-string", field=field, value=repr(raw.value))
        return
    if doc is not None and doc.problems:
        yield Violation(raw, _more("property-invalid", doc.problems), field=field,
                        problem=Said(doc.problems[0].message), more=len(doc.problems) - 1)


def _more(message_id: str, problems) -> str:
    """The message id for the first of ``problems``, with how many more there are."""
    extra = len(problems) - 1
    return message_id if extra <= 0 else f"{message_id}-and-1" if extra == 1 else f"{message_id}-and-n"
