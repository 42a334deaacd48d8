"""What the Terraform loader reads: each file once, its suppression comments taken as it is read, and
the deploy target's partition from the AWS facts of ``rumpolicy.aws``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rumpolicy.load import Candidate, terraform_sources
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.terraform_hcl import is_configuration, is_variables, load_configurations


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return folder


def load(folder: Path, options: LoadOptions | None = None):
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return load_configurations([Candidate(str(p), False) for p in paths], options or LoadOptions())


def by_name(inventory, suffix: str):
    return next(f for f in inventory.files if f.path.endswith(suffix))


def test_the_public_names_stay_where_they_were():
    assert is_configuration("main.tf") and is_configuration("main.tf.json") and not is_configuration("x.tfvars")
    assert is_variables("x.tfvars") and is_variables("x.tfvars.json") and not is_variables("main.tf")


def test_suppression_comments_are_taken_as_each_file_is_read(tmp_path, monkeypatch):
    folder = write(tmp_path, {
        "main.tf": '''
            variable "name" {
              type = string
            }

            # rumpolicy: ignore RUM-PERM-004 -- the monitor is internal
            resource "aws_iam_role" "guest" {
              name               = var.name  // rumpolicy: ignore RUM-TRUST-001 -- tracked in JIRA-1
              assume_role_policy = "{}"
            }
            ''',
        "terraform.tfvars": 'name = "guest" # rumpolicy: ignore RUM-SRC-001 -- fixed value\n',
        "extra.tfvars": 'name = "other" # rumpolicy: ignore RUM-SRC-001 -- named with --var-file\n',
        "main.tf.json": '{"locals": {"a": "b"}}\n',
    })
    reads: list[str] = []
    real = terraform_sources.read_text

    def counted(path, **kwargs):
        reads.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(terraform_sources, "read_text", counted)
    inventory = load(folder, LoadOptions(var_files=(str(folder / "extra.tfvars"),)))
    assert sorted(reads) == ["extra.tfvars", "main.tf", "main.tf.json", "terraform.tfvars"]
    marks = by_name(inventory, "main.tf").marks
    assert [(m.ids, m.line, m.reason.strip()) for m in marks] == [
        (("RUM-PERM-004",), 6, "the monitor is internal"), (("RUM-TRUST-001",), 7, "tracked in JIRA-1")]
    assert [m.ids for m in by_name(inventory, "terraform.tfvars").marks] == [("RUM-SRC-001",)]
    assert [m.ids for m in by_name(inventory, "extra.tfvars").marks] == [("RUM-SRC-001",)]
    assert by_name(inventory, "main.tf.json").marks == []


def test_a_folder_that_is_two_roots_reads_its_variables_once(tmp_path, monkeypatch):
    folder = write(tmp_path, {"main.tf": 'variable "x" {\n  type = string\n}\n',
                              "terraform.tfvars": 'x = "a" # rumpolicy: ignore RUM-SRC-001 -- once\n'})
    reads: list[str] = []
    real = terraform_sources.read_text
    monkeypatch.setattr(terraform_sources, "read_text", lambda path, **kw: reads.append(path) or real(path, **kw))
    candidates = [Candidate(str(folder / "main.tf"), True), Candidate(str(folder / "main.tf"), False),
                  Candidate(str(folder / "terraform.tfvars"), False)]
    inventory = load_configurations(candidates, LoadOptions())
    assert sorted(Path(p).name for p in reads) == ["main.tf", "terraform.tfvars"]
    assert len(by_name(inventory, "terraform.tfvars").marks) == 1


@pytest.mark.parametrize("region, partition, expected", [
    ("us-gov-west-1", "aws", "aws-us-gov"),
    ("cn-north-1", "aws", "aws-cn"),
    ("eusc-de-east-1", "aws", "aws-eusc"),
    ("us-isof-south-1", "aws", "aws-iso-f"),
    ("us-east-1", "aws", "aws"),
    ("us-east-1", "aws-cn", "aws"),          # the region's own partition, whatever the default
    ("mars-north-1", "aws-cn", "aws-cn"),    # a name no partition has: the caller's partition
])
def test_the_partition_of_a_provider_comes_from_its_region(tmp_path, region, partition, expected):
    folder = write(tmp_path, {"main.tf": f'''
        provider "aws" {{
          region = "{region}"
        }}

        resource "aws_iam_role" "guest" {{
          name               = "guest"
          assume_role_policy = "{{}}"
        }}
        '''})
    inventory = load(folder, LoadOptions(partition=partition))
    assert inventory.roles[0].arn.startswith(f"arn:{expected}:iam::")


def test_without_a_region_the_callers_partition_is_used(tmp_path):
    folder = write(tmp_path, {"main.tf": 'resource "aws_iam_role" "guest" {\n  name = "guest"\n'
                                         '  assume_role_policy = "{}"\n}\n'})
    assert load(folder, LoadOptions(partition="aws-cn")).roles[0].arn.startswith("arn:aws-cn:iam::")
    assert load(folder, LoadOptions(region="us-gov-east-1")).roles[0].arn.startswith("arn:aws-us-gov:iam::")
