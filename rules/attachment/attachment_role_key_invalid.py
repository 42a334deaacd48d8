"""RUM-ATT-002."""

from __future__ import annotations

from typing import Iterator

from rumpolicy.engine import Violation, rule
from rumpolicy.findings import Severity
from rumpolicy.model import RoleAttachment
from rumpolicy.model.messages import Prop

ROLE_TYPES = ("authenticated", "unauthenticated")


@rule(id="RUM-ATT-002", name="attachment-role-key-invalid", severity=Severity.ERROR, subject=RoleAttachment,
      references=("https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetIdentityPoolRoles.html",),
      messages={
          "misspelled-key": "`{roles}` key `{key}` of {attachment} is not a role type; did you mean `{hint}`?",
          "unknown-key": "`{roles}` key `{key}` of {attachment} is not a role type; Cognito accepts only "
                         "`authenticated` and `unauthenticated`",
      })
def attachment_role_key_invalid(attachment: RoleAttachment) -> Iterator:
    """A key of the role attachment's `Roles` map is not `authenticated` or `unauthenticated`.

    ## What it checks
    The keys of `Roles` (`IdentityPoolRoleAttachment.Roles`, Terraform `roles`) must be exactly
    `authenticated` or `unauthenticated`, in lower case (Cognito's `RoleType` pattern
    `(un)?authenticated`).

    ## Why it matters
    `SetIdentityPoolRoles` rejects any other key, so the stack fails to deploy; a key such as
    `guest` or `Unauthenticated` also means the pool never gets the guest role RUM needs.

    ## Fix
    ```yaml
    Roles:
      unauthenticated: !GetAtt GuestRole.Arn    # not "Unauthenticated" or "guest"
    ```
    """
    for key, node in attachment.roles.items():
        if key in ROLE_TYPES:
            continue
        hint = next((t for t in ROLE_TYPES if key.strip().lower() == t), None)
        roles = Prop(attachment, "Roles")
        if hint:
            yield Violation(node, "misspelled-key", roles=roles, key=key, attachment=attachment, hint=hint)
        else:
            yield Violation(node, "unknown-key", roles=roles, key=key, attachment=attachment)
