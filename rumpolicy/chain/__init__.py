"""The chains, above the IAM evaluator: what links monitors, pools, attachments and roles
(``link``), what a role grants and whom it trusts (``grants``), which monitors a grant covers
(``coverage``) and which credential flows a monitor's clients use (``flows``)."""
