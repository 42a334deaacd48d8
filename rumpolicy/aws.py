"""What rumpolicy knows of AWS itself, in one place: partitions and their DNS suffixes, region and
id grammars, the bounds of CloudFormation's pseudo parameters, and the regions RUM is offered in.

The tables are botocore's (``botocore/data/partitions.json`` and ``endpoints.json``), written out so
that ``check`` does not import botocore; ``tests/test_aws_facts.py`` compares them with the botocore
that is installed, so a new partition or a longer region name fails the suite instead of a check.
"""

from __future__ import annotations

import re
from typing import Final, Mapping

# Partition -> DNS suffix (partitions.json ``outputs.dnsSuffix``), in botocore's order.
DNS_SUFFIXES: Final[Mapping[str, str]] = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-eusc": "amazonaws.eu",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-us-gov": "amazonaws.com",
}
PARTITIONS: Final[tuple[str, ...]] = tuple(DNS_SUFFIXES)
# Partition -> the grammar of its region names (partitions.json ``regionRegex``). ``aws`` is tried last:
# its prefixes (``us-``, ``eu-``) also start other partitions' regions.
REGION_GRAMMARS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("aws-cn", re.compile(r"^cn-\w+-\d+$")),
    ("aws-eusc", re.compile(r"^eusc-(de)-\w+-\d+$")),
    ("aws-iso", re.compile(r"^us-iso-\w+-\d+$")),
    ("aws-iso-b", re.compile(r"^us-isob-\w+-\d+$")),
    ("aws-iso-e", re.compile(r"^eu-isoe-\w+-\d+$")),
    ("aws-iso-f", re.compile(r"^us-isof-\w+-\d+$")),
    ("aws-us-gov", re.compile(r"^us-gov-\w+-\d+$")),
    ("aws", re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$")),
)

# Any region name, in any partition (the shape of ``us-east-1``, ``us-gov-west-1``, ``eusc-de-east-1``).
REGION: Final = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")
ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
# An identity pool id (``us-east-1:`` and a UUID, lowercase hex: what Cognito returns), its region captured.
POOL_ID: Final = re.compile(
    r"^(?P<region>[a-z]{2,4}(-[a-z]+)+-\d+):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The region prefix of something that looks like a pool id, however malformed the rest.
POOL_ID_REGION: Final = re.compile(r"^([a-z]{2,4}(?:-[a-z]+)+-\d+):")
# Role names and paths (botocore IAM model ``roleNameType`` / ``pathType``).
ROLE_NAME: Final = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_PATH: Final = re.compile(r"^/([\u0021-\u007E]*/)?$")

# The longest value each pseudo parameter takes anywhere (partition aws-us-gov, region us-isof-south-1 of
# 15 characters, URL suffix amazonaws.com.cn; stack names are at most 128 characters). Rules that bound a
# length at deploy time use these, so that they agree; the test keeps them equal to botocore's tables.
PSEUDO_MAX_LENGTH: Final[Mapping[str, int]] = {
    "AWS::AccountId": 12,
    "AWS::NoValue": 0,
    "AWS::Partition": 10,
    "AWS::Region": 15,
    "AWS::StackName": 128,
    "AWS::URLSuffix": 16,
}

# The role state Cognito's unauthenticated identities assume (`Roles` key of a role attachment).
UNAUTHENTICATED: Final = "unauthenticated"


def partition_of_region(region: str) -> str | None:
    """The partition a literal region name belongs to, None when no partition's grammar matches."""
    for partition, grammar in REGION_GRAMMARS:
        if grammar.match(region):
            return partition
    return None


def dns_suffix(partition: str) -> str | None:
    return DNS_SUFFIXES.get(partition)


def rum_regions(partition: str) -> list[str]:
    """The regions where botocore knows CloudWatch RUM in ``partition`` (imports botocore: audit only)."""
    import botocore.session

    return sorted(botocore.session.get_session().get_available_regions("rum", partition_name=partition))
