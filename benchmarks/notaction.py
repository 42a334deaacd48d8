"""How long one guest role with ``NotAction: iam:*`` on ``Resource: "*"`` takes to check.

    .venv/bin/python benchmarks/notaction.py                 # this checkout
    .venv/bin/python benchmarks/notaction.py --runs 11
    .venv/bin/python benchmarks/notaction.py --source DIR    # another copy of the sources, e.g. the last commit:
        git archive HEAD | tar -x -C DIR && ln -s ../rules DIR/rumpolicy/rules

Such a statement grants every action of every service but IAM, some 23,000 in botocore's catalogue.
RUM-PERM-005 used to list them all to find the thirty of RUM, which cost seconds of CPU for this one
template; it now asks the catalogue only about the services its finding depends on. Target (product
issue, "Trustworthy on every input"): checked in under 0.3 s, still reporting every RUM action it grants
(RUM-PERM-005) and `rum:PutRumEvents` on a wildcard (RUM-PERM-004).

What it measures, for the NotAction template and for a control template that differs only in granting
exactly `rum:PutRumEvents` on the monitor (so the difference is what the NotAction costs):

* the check as a user runs it: ``rumpolicy check FILE`` as a fresh process (``python -c`` running the
  package's ``__main__``), wall time
  (time.perf_counter around it) and CPU time (user + system, from os.wait4), the median of --runs
  runs with min-max, after one untimed warm-up run that leaves the bytecode cached;
* the check alone: in a fresh process that has already imported rumpolicy, wall and CPU time of one
  ``main(["check", FILE])`` call (what the 0.3 s target is about: interpreter start-up and imports
  are the same for every template).

Figures go to standard output as a Markdown table; the exit status is 0 unless rumpolicy did not run
cleanly (3), or did not report what it must (1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET_S = 0.3

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Metadata:
  rumpolicy:
    region: us-east-1
    account: "123456789012"
Resources:
  RumPool:
    Type: AWS::Cognito::IdentityPool
    Properties:
      AllowUnauthenticatedIdentities: true
      AllowClassicFlow: true
  RumPoolRoles:
    Type: AWS::Cognito::IdentityPoolRoleAttachment
    Properties:
      IdentityPoolId: !Ref RumPool
      Roles:
        unauthenticated: !GetAtt GuestRole.Arn
  GuestRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: cognito-identity.amazonaws.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                cognito-identity.amazonaws.com:aud: !Ref RumPool
              ForAnyValue:StringLike:
                cognito-identity.amazonaws.com:amr: unauthenticated
      Policies:
        - PolicyName: guest
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
{grant}
  Monitor:
    Type: AWS::RUM::AppMonitor
    Properties:
      Name: web
      Domain: example.com
      AppMonitorConfiguration:
        IdentityPoolId: !Ref RumPool
        GuestRoleArn: !GetAtt GuestRole.Arn
"""
NOT_ACTION = '                NotAction: iam:*\n                Resource: "*"'
CONTROL = ("                Action: rum:PutRumEvents\n"
           "                Resource: !Sub arn:${AWS::Partition}:rum:${AWS::Region}:${AWS::AccountId}:"
           "appmonitor/${Monitor}")

# Runs in a fresh interpreter: imports first (untimed), then one check, timed.
IN_PROCESS = """\
import io, contextlib, json, sys, time
from rumpolicy.cli import main
out = io.StringIO()
wall, cpu = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    status = main(["check", sys.argv[1], "--format", "json"])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"status": status, "wall": wall, "cpu": cpu}))
"""


# With --source: the editable install's import hook would still serve this checkout's `rumpolicy`,
# so it is taken out and the other directory put first on the path.
SOURCE_PRELUDE = """\
import sys
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path.insert(0, {source!r})
"""
RUN_CLI = "import runpy, sys; sys.argv[0] = 'rumpolicy'; runpy.run_module('rumpolicy', run_name='__main__')"


def environment() -> dict:
    env = dict(os.environ)
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(var, None)                 # they would slow every run down, or stop bytecode caching
    return env


def python(code: str, source: str | None) -> list[str]:
    """A command running ``code`` in a fresh interpreter, importing rumpolicy from ``source`` if given."""
    prelude = SOURCE_PRELUDE.format(source=os.path.abspath(source)) if source else ""
    return [sys.executable, "-c", prelude + code]


def run_process(cmd: list[str], env: dict) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode()
    proc.stdout.close()
    proc.stderr.close()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "status": os.waitstatus_to_exitcode(status),
            "out": out}


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(path: str, runs: int, env: dict, source: str | None) -> dict:
    cli = python(RUN_CLI, source) + ["check", path, "--format", "json"]
    warm = run_process(cli, env)                               # leaves the bytecode cached
    if warm["status"] not in (0, 1):
        raise SystemExit(f"rumpolicy exited with {warm['status']} on {path}")
    processes = [run_process(cli, env) for _ in range(runs)]
    checks = []
    for _ in range(runs):
        result = run_process(python(IN_PROCESS, source) + [path], env)
        if result["status"] != 0:
            raise SystemExit(f"the in-process check failed on {path}")
        checks.append(json.loads(result["out"].strip().splitlines()[-1]))
    return {
        "findings": json.loads(warm["out"])["findings"],
        "process": {"wall": summary([p["wall"] for p in processes]), "cpu": summary([p["cpu"] for p in processes])},
        "check": {"wall": summary([c["wall"] for c in checks]), "cpu": summary([c["cpu"] for c in checks])},
    }


def fmt(s: dict) -> str:
    return f"{s['median']:.3f} s ({s['min']:.3f}–{s['max']:.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement (default 7)")
    parser.add_argument("--source", help="a directory holding the rumpolicy package to measure instead")
    args = parser.parse_args(argv)
    env = environment()
    results = {}
    with tempfile.TemporaryDirectory(prefix="rumpolicy-notaction-") as tmp:
        for name, grant in (("NotAction: iam:*", NOT_ACTION), ("control: Action: rum:PutRumEvents", CONTROL)):
            path = os.path.join(tmp, "notaction.yaml" if grant is NOT_ACTION else "control.yaml")
            with open(path, "w") as fh:
                fh.write(TEMPLATE.format(grant=grant))
            results[name] = measure(path, max(1, args.runs), env, args.source)
    print(f"# NotAction benchmark ({args.source or ROOT}, {args.runs} runs, Python {sys.version.split()[0]})\n")
    print("| template | process wall | process CPU | check wall | check CPU |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {fmt(r['process']['wall'])} | {fmt(r['process']['cpu'])} | "
              f"{fmt(r['check']['wall'])} | {fmt(r['check']['cpu'])} |")
    notaction, control = results["NotAction: iam:*"], results["control: Action: rum:PutRumEvents"]
    extra = notaction["check"]["cpu"]["median"] - control["check"]["cpu"]["median"]
    within = notaction["check"]["wall"]["median"] < TARGET_S
    print(f"\nCheck of the NotAction template: {notaction['check']['wall']['median']:.3f} s wall "
          f"(target < {TARGET_S} s: {'met' if within else 'MISSED'}); {extra:+.3f} s CPU over the control.")
    perm005 = [f for f in notaction["findings"] if f["rule_id"] == "RUM-PERM-005"]
    perm004 = [f for f in notaction["findings"] if f["rule_id"] == "RUM-PERM-004"]
    reported = bool(perm005) and "rum:PutResourcePolicy" in perm005[0]["message"] and bool(perm004)
    for finding in perm005 + perm004:
        print(f"- {finding['rule_id']} {finding['severity']}: {finding['message']}")
    return 0 if reported else 1


if __name__ == "__main__":
    sys.exit(main())
