"""Benchmark ``rumpolicy audit``: 500 app monitors across 10 accounts, against loopback AWS.

    .venv/bin/python benchmarks/audit.py                 # both scenarios, 500 monitors, 10 accounts; memory, 3,000
    .venv/bin/python benchmarks/audit.py --monitors 100 --accounts 5 --jobs 4 --memory-monitors 0

The same loopback AWS as the tests: a moto server (IAM, STS, Organizations) behind the stand-in
(``tests/aws_standin.py``: RUM and Cognito Identity), both on 127.0.0.1, all endpoints set through
``AWS_ENDPOINT_URL``, fake credentials, empty AWS configuration files. An organization gets
``--accounts`` member accounts, each with ``--monitors / --accounts`` app monitors in us-east-1, and
``rumpolicy audit --org --role-name RumAudit --region us-east-1 --format json`` runs in this process
(its report goes to a null stream). Two scenarios:

* **unique**: every monitor has its own identity pool and its own guest role (one inline policy);
* **shared**: in every account, groups of ``--share`` monitors use one pool and one guest role.

Reported: wall time of the audit (setup excluded), every AWS call the stand-in saw (retries
included; every service, the organization and SCP reads too), API calls per monitor (target: at
most 6 without shared roles, fewer with), and the calls per operation.

A third scenario, **memory**, measures the peak memory of ``rumpolicy audit --region us-east-1``
over ``--memory-monitors`` app monitors (default 3,000; 0 skips it) in the caller's own account,
in that one region, each with its own pool and guest role (the most the audit holds per region:
nothing is shared). It runs as its own process, which reports its peak resident set size
(``VmHWM``, from ``/proc/self/status``) as it exits. Not ``getrusage(RUSAGE_CHILDREN)``: a child's
``ru_maxrss`` includes the pages of this process at the fork before the child's exec (this process
holds the moto server and the stand-in with all their data), so it would measure this process.
Target: under 300 MiB.

Every monitor is set up correctly, so the audit must report no finding; the run fails (exit 1) if
it does, if a call is not read-only, if the unique scenario exceeds 6 calls per monitor, or if the
memory scenario exceeds its target. Writes the figures as Markdown to standard output.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from tests.aws_standin import AwsStandin  # noqa: E402

REGION = "us-east-1"
ROLE = "RumAudit"
TARGET_UNIQUE = 6.0
TARGET_PEAK_MIB = 300
# Runs the CLI and, as the process exits, writes its own peak RSS to stderr (see the module docstring).
PEAK_RSS_REPORTER = """
import atexit, sys

def peak():
    try:
        with open("/proc/self/status") as status:
            sys.stderr.write(next(line for line in status if line.startswith("VmHWM:")))
    except OSError:
        pass

atexit.register(peak)
from rumpolicy.cli import main
sys.exit(main(sys.argv[1:]))
"""
SERVICES = ("RUM", "COGNITO_IDENTITY", "IAM", "STS", "ORGANIZATIONS")


@dataclass
class Figures:
    scenario: str
    monitors: int
    accounts: int
    roles: int
    seconds: float
    calls: Counter
    findings: int
    status: int

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def per_monitor(self) -> float:
        return self.total / self.monitors


def _pool_id(account_index: int, index: int) -> str:
    return f"{REGION}:{account_index:08x}-0000-4000-8000-{index:012x}"


def _trust(pool_ids: list[str]) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_ids},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}]}


def _member_session(moto_url: str, account: str) -> boto3.Session:
    sts = boto3.client("sts", endpoint_url=moto_url, region_name=REGION)
    issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
                         aws_session_token=issued["SessionToken"], region_name=REGION)


def setup(moto_url: str, standin: AwsStandin, monitors: int, accounts: int, share: int) -> int:
    """An organization of ``accounts`` members with ``monitors`` correct app monitors; returns the roles made."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=60).read()
    org = boto3.client("organizations", endpoint_url=moto_url, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    members = [org.create_account(Email=f"m{i}@example.com", AccountName=f"member{i}")["CreateAccountStatus"]
               ["AccountId"] for i in range(accounts)]
    roles = 0
    per_account = monitors // accounts
    for account_index, account in enumerate(members):
        iam = _member_session(moto_url, account).client("iam", endpoint_url=moto_url)
        names = [f"app-{account_index:02}-{i:03}" for i in range(per_account)]
        groups = [names[i:i + share] for i in range(0, len(names), share)]
        for group_index, group in enumerate(groups):
            pool = _pool_id(account_index, group_index)
            role = f"guest-{group_index:03}"
            arns = [f"arn:aws:rum:{REGION}:{account}:appmonitor/{name}" for name in group]
            role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(_trust([pool])))["Role"]["Arn"]
            iam.put_role_policy(RoleName=role, PolicyName="put-rum-events", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": arns}]}))
            roles += 1
            standin.add_identity_pool(account, pool, allow_classic_flow=False, unauthenticated_role=role_arn)
            for name in group:
                standin.add_app_monitor(account, REGION, name, pool_id=pool)
    return roles


def audit(jobs: int) -> tuple[float, int, dict]:
    from rumpolicy.cli import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["audit", "--org", "--role-name", ROLE, "--region", REGION, "--jobs", str(jobs),
                       "--format", "json"])
    return time.perf_counter() - started, status, json.loads(out.getvalue())


def scenario(name: str, moto_url: str, monitors: int, accounts: int, share: int, jobs: int) -> Figures:
    standin = AwsStandin(moto_url).start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = standin.url
        for service in SERVICES:
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = standin.url
        roles = setup(moto_url, standin, monitors, accounts, share)
        seconds, status, report = audit(jobs)
        calls = Counter(f"{c.service}:{c.operation}" for c in standin.calls)
    finally:
        standin.stop()
    return Figures(name, monitors, accounts, roles, seconds, calls, len(report["findings"]), status)


@dataclass
class MemoryFigures:
    monitors: int
    roles: int
    seconds: float
    calls: int
    peak_mib: float
    method: str                     # how the peak was measured
    findings: int
    status: int


def setup_one_region(moto_url: str, standin: AwsStandin, monitors: int) -> int:
    """``monitors`` correct app monitors in the caller's account and one region, nothing shared; returns the roles."""
    from tests.aws_standin import DEFAULT_ACCOUNT

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=60).read()
    iam = boto3.client("iam", endpoint_url=moto_url, region_name=REGION)
    for index in range(monitors):
        name, pool, role = f"app-{index:05}", _pool_id(0, index), f"guest-{index:05}"
        trust = json.dumps(_trust([pool]))
        role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        monitor = f"arn:aws:rum:{REGION}:{DEFAULT_ACCOUNT}:appmonitor/{name}"
        iam.put_role_policy(RoleName=role, PolicyName="put-rum-events", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "rum:PutRumEvents", "Resource": monitor}]}))
        standin.add_identity_pool(DEFAULT_ACCOUNT, pool, allow_classic_flow=False, unauthenticated_role=role_arn)
        standin.add_app_monitor(DEFAULT_ACCOUNT, REGION, name, pool_id=pool)
    return monitors


def memory_scenario(moto_url: str, monitors: int, jobs: int) -> MemoryFigures:
    standin = AwsStandin(moto_url).start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = standin.url
        for service in SERVICES:
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = standin.url
        roles = setup_one_region(moto_url, standin, monitors)
        with tempfile.TemporaryDirectory() as tmp:
            report_path = Path(tmp) / "audit.json"
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", PEAK_RSS_REPORTER, "audit", "--region", REGION, "--jobs",
                                   str(jobs), "--format", "json", "-o", str(report_path)],
                                  capture_output=True, text=True, cwd=ROOT, timeout=3600)
            seconds = time.perf_counter() - started
            report = json.loads(report_path.read_text()) if report_path.exists() else {"findings": [None]}
        calls = len(standin.calls)
    finally:
        standin.stop()
    peak = next((line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("VmHWM:")), None)
    if peak is not None and peak[1].lower() == "kb":
        peak_mib, method = int(peak[0]) / 1024, "VmHWM of the audit process"
    else:       # no /proc: an upper bound that includes this process (see the module docstring)
        peak_mib, method = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "ru_maxrss (upper bound)"
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
    return MemoryFigures(monitors, roles, seconds, calls, peak_mib, method, len(report["findings"]), proc.returncode)


def markdown(results: list[Figures], jobs: int) -> str:
    lines = ["| Scenario | App monitors | Accounts | Guest roles | Wall time | AWS calls | Calls per monitor | Target |",
             "|---|---|---|---|---|---|---|---|"]
    for f in results:
        target = f"≤ {TARGET_UNIQUE:g}" if f.scenario == "unique" else "fewer than unique"
        lines.append(f"| {f.scenario} | {f.monitors} | {f.accounts} | {f.roles} | {f.seconds:.1f} s | {f.total} | "
                     f"{f.per_monitor:.2f} | {target} |")
    operations = sorted({op for f in results for op in f.calls})
    lines += ["", "| Operation | " + " | ".join(f.scenario for f in results) + " |",
              "|---|" + "---|" * len(results)]
    for op in operations:
        lines.append(f"| {op} | " + " | ".join(str(f.calls.get(op, 0)) for f in results) + " |")
    lines += ["", f"`--jobs {jobs}`; machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                  f"Python {platform.python_version()}; loopback moto server and stand-in in the same process."]
    return "\n".join(lines) + "\n"


def memory_markdown(m: MemoryFigures) -> str:
    return "\n".join([
        "| Memory | App monitors | Regions | Guest roles | Wall time | AWS calls | Peak RSS | Target |",
        "|---|---|---|---|---|---|---|---|",
        f"| one region | {m.monitors} | 1 | {m.roles} | {m.seconds:.1f} s | {m.calls} | {m.peak_mib:.1f} MiB | "
        f"< {TARGET_PEAK_MIB} MiB |",
        "", f"Peak RSS: {m.method}; the audit runs as its own process (Python start-up included in the wall "
            "time)."]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--share", type=int, default=10, help="monitors per pool and role in the shared scenario")
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--memory-monitors", type=int, default=3000,
                        help="app monitors in one region for the peak-memory scenario (0: skip it)")
    args = parser.parse_args(argv)

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as home:
        empty = Path(home) / "empty"
        empty.write_text("")
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
            os.environ.pop(name, None)
        os.environ.update({"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_EC2_METADATA_DISABLED": "true"})
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        moto_url = f"http://{host}:{port}"
        try:
            results = [scenario("unique", moto_url, args.monitors, args.accounts, 1, args.jobs),
                       scenario("shared", moto_url, args.monitors, args.accounts, args.share, args.jobs)]
            memory = memory_scenario(moto_url, args.memory_monitors, args.jobs) if args.memory_monitors else None
        finally:
            server.stop()
    sys.stdout.write(markdown(results, args.jobs))
    if memory is not None:
        sys.stdout.write("\n" + memory_markdown(memory))
    from rumpolicy.audit.readonly import is_read_only

    problems = [f"{f.scenario}: {f.findings} findings (exit {f.status})" for f in results if f.findings or f.status]
    problems += [f"{f.scenario}: {op} is not read-only" for f in results for op in f.calls
                 if not is_read_only(*op.split(":", 1))]
    if results[0].per_monitor > TARGET_UNIQUE:
        problems.append(f"unique: {results[0].per_monitor:.2f} calls per monitor > {TARGET_UNIQUE:g}")
    if results[1].per_monitor >= results[0].per_monitor:
        problems.append("shared roles do not need fewer calls than unique ones")
    if memory is not None and (memory.findings or memory.status):
        problems.append(f"memory: {memory.findings} findings (exit {memory.status})")
    if memory is not None and memory.peak_mib >= TARGET_PEAK_MIB:
        problems.append(f"memory: peak RSS {memory.peak_mib:.1f} MiB >= {TARGET_PEAK_MIB} MiB")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
