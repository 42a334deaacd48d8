"""Which files are Terraform's, told without importing the Terraform loader (a run over templates
alone never imports it): configurations, variable definitions, and ``terraform show -json`` output."""

from __future__ import annotations

import os
from typing import Any

CONFIG_SUFFIXES = (".tf", ".tf.json")
VARIABLE_SUFFIXES = (".tfvars", ".tfvars.json")


def is_configuration(path: str) -> bool:
    return path.endswith(CONFIG_SUFFIXES)


def is_variables(path: str) -> bool:
    return path.endswith(VARIABLE_SUFFIXES)


def is_auto_variables(path: str) -> bool:
    """The variable files Terraform reads without being told (``terraform.tfvars``, ``*.auto.tfvars``)."""
    name = os.path.basename(path)
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars",
                                                                                  ".auto.tfvars.json"))


def is_plan(data: Any) -> bool:
    """``terraform show -json`` output: a ``format_version`` with plan or state content."""
    return (isinstance(data, dict) and "format_version" in data
            and any(key in data for key in ("planned_values", "values", "terraform_version", "resource_changes")))
