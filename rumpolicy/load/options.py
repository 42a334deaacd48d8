"""What the user told ``check`` about the inputs."""

from __future__ import annotations

from dataclasses import field

from rumpolicy.records import value_type


@value_type(slots=False)
class LoadOptions:
    """What loading needs besides the files: the command line's and the configuration's settings for the inputs."""

    app_monitors: tuple[str, ...] = ()     # --app-monitor ARN: monitors bare permission policies must serve
    region: str | None = None              # --region: pins AWS::Region (else symbolic)
    account: str | None = None             # --account: pins AWS::AccountId (else symbolic)
    partition: str = "aws"                 # --partition: AWS::Partition
    max_file_size: int = 5 * 1024 * 1024
    parameters: dict[str, str] = field(default_factory=dict)   # --parameter Key=Value (CloudFormation)
    var_files: tuple[str, ...] = ()        # --var-file: Terraform variable values, in order (later wins)
