"""Importing the evaluator stays light: botocore, boto3 and policyuniverse load only when asked for."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("botocore", "boto3", "policyuniverse", "moto")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_importing_the_evaluator_loads_no_heavy_package():
    assert not _modules_after("import rumpolicy.iam") & set(HEAVY)


def test_the_catalogue_and_cognito_modules_do_not_import_botocore_either():
    loaded = _modules_after("import rumpolicy.iam.actions, rumpolicy.iam.cognito; "
                            "rumpolicy.iam.actions.is_known('rum:PutRumEvents')")
    assert not loaded & set(HEAVY)
