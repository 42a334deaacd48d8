"""The facts of rumpolicy.aws are botocore's: a new partition or a longer region name fails here."""

import botocore.loaders

from rumpolicy import aws

PARTITIONS = botocore.loaders.Loader().load_data("partitions")["partitions"]
# Endpoint names such as aws-global are not regions a resource can be in.
REGIONS = {p["id"]: [r for r in p["regions"] if not r.endswith("-global")] for p in PARTITIONS}


def test_dns_suffixes_are_botocores():
    assert dict(aws.DNS_SUFFIXES) == {p["id"]: p["outputs"]["dnsSuffix"] for p in PARTITIONS}


def test_region_grammars_are_botocores():
    ours = {name: grammar.pattern for name, grammar in aws.REGION_GRAMMARS}
    assert ours == {p["id"]: p["regionRegex"].replace("\\-", "-") for p in PARTITIONS}


def test_every_known_region_is_in_its_partition_and_fits_the_shapes():
    for partition in PARTITIONS:
        for region in REGIONS[partition["id"]]:
            assert aws.partition_of_region(region) == partition["id"], region
            assert aws.REGION.match(region), region
            assert aws.POOL_ID.match(f"{region}:12345678-1234-1234-1234-123456789012"), region


def test_pseudo_parameter_bounds_are_the_longest_values():
    regions = [r for found in REGIONS.values() for r in found]
    assert aws.PSEUDO_MAX_LENGTH["AWS::Region"] == max(map(len, regions))
    assert aws.PSEUDO_MAX_LENGTH["AWS::Partition"] == max(len(p["id"]) for p in PARTITIONS)
    assert aws.PSEUDO_MAX_LENGTH["AWS::URLSuffix"] == max(len(p["outputs"]["dnsSuffix"]) for p in PARTITIONS)


def test_rum_regions_come_from_botocore():
    assert "us-east-1" in aws.rum_regions("aws")
