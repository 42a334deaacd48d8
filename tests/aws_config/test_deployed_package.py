"""The deployment package itself, run as Lambda runs it, against the loopback APIs.

The zip ``python -m rumpolicy.aws_config.package`` builds (boto3 included) is extracted and its
handler called in a fresh interpreter that sees nothing but the zip and the standard library
(``-S``: no site-packages), with the environment Lambda gives a function: its region, credentials
and the endpoints (here the stand-in). A broken trust must come back NON_COMPLIANT from
GetComplianceDetailsByConfigRule, as in ``test_end_to_end.py`` where the handler runs in-process:
this one shows the zip carries everything the handler needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from rumpolicy.aws_config import package
from rumpolicy.aws_config.events import MONITOR, ROLE
from tests.audit.conftest import REGION, trust_policy
from tests.aws_config.conftest import FUNCTION
from tests.aws_standin import DEFAULT_ACCOUNT as ACCOUNT

RUN_HANDLER = f"""
import json, sys
sys.path.insert(0, sys.argv[1])
from rumpolicy.aws_config import handler

class Context:
    invoked_function_arn = "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
    def get_remaining_time_in_millis(self):
        return 60000

line = handler(json.loads(sys.stdin.read()), Context())
import botocore, rumpolicy
print("RESULT " + json.dumps({{"line": line, "from": [botocore.__file__, rumpolicy.__file__]}}))
"""


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    out = tmp_path_factory.mktemp("lambda")
    built = package.build(out / "function.zip")
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(out / "task")
    return out / "task"


def test_the_packaged_handler_reports_a_broken_trust_to_config(world, invoke, extracted):
    world.guest_setup(ACCOUNT, "shop", 0)
    iam = world.client("iam")
    iam.update_assume_role_policy(RoleName="shop-guest", PolicyDocument=json.dumps(trust_policy(None)))
    role_id = iam.get_role(RoleName="shop-guest")["Role"]["RoleId"]
    event = invoke.event("role_change", item=invoke.role_item("shop-guest"), at="2026-12-01T11:00:00Z")
    env = {key: value for key, value in os.environ.items() if key.startswith(("AWS_", "PATH", "HOME"))}
    env.update(AWS_REGION=REGION, AWS_LAMBDA_FUNCTION_NAME=FUNCTION, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-S", "-c", RUN_HANDLER, str(extracted)], input=json.dumps(event),
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    [result] = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert result["line"]["evaluations"][ROLE] == {"NON_COMPLIANT": 1}
    # Nothing of the test's own installation served the handler: botocore and rumpolicy came from the zip.
    assert all(path.startswith(str(extracted)) for path in result["from"]), result["from"]
    verdicts = invoke.compliance()
    assert verdicts[(ROLE, role_id)][0] == "NON_COMPLIANT"
    assert verdicts[(ROLE, role_id)][1].startswith("RUM-TRUST-002")
    assert verdicts[(MONITOR, "shop")][0] == "NON_COMPLIANT"
