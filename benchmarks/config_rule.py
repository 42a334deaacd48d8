"""Benchmark the AWS Config rule's handler (``rumpolicy.aws_config.handler``) against loopback AWS.

    .venv/bin/python benchmarks/config_rule.py                      # sizes 1, 10, 50; 5 warm runs each
    .venv/bin/python benchmarks/config_rule.py --sizes 1 --repeat 1 --json

The same loopback AWS as the tests (``tests/aws_config``): a moto server (IAM, STS, Organizations,
Security Hub) behind the stand-in (``tests/aws_standin.py``: RUM, Cognito Identity, Config's
rule-evaluation calls), on 127.0.0.1, fake credentials, empty AWS configuration files. Every
monitor has its own identity pool and guest role, set up correctly, so every verdict must be
COMPLIANT (the run fails otherwise). Triggers:

* **role change**, **pool change**, **monitor change**: one resource of a region holding
  ``--region-monitors`` monitors (a pool or role change looks at every monitor of the region);
* **scheduled**: every monitor of a region of each ``--sizes`` size.

Reported per trigger: the API calls of one invocation by operation (the stand-in's log, so
retries would count), the warm wall time (median of ``--repeat`` invocations in this process,
after one untimed), and the cold figures of a fresh ``python -c`` process that imports the handler
and runs one invocation: its wall time, the import time of ``rumpolicy.aws_config`` and of the
handler's modules, and its peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss`` there, KiB on Linux).
Writes Markdown (or JSON with ``--json``) to standard output.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.audit.conftest import REGION, SERVICES, World, put_policy, trust_policy  # noqa: E402
from tests.aws_config.conftest import Invoker, LambdaContext  # noqa: E402
from tests.aws_standin import DEFAULT_ACCOUNT, AwsStandin  # noqa: E402

# Runs in a fresh interpreter: reads {"event", "remaining_ms"} from stdin, prints its figures as JSON.
COLD = """
import contextlib, io, json, resource, sys, time
started = time.perf_counter()
import rumpolicy.aws_config
imported = time.perf_counter()
import rumpolicy.aws_config.run
modules = time.perf_counter()
given = json.load(sys.stdin)

class Context:
    invoked_function_arn = given["function_arn"]
    def get_remaining_time_in_millis(self):
        return given["remaining_ms"]

with contextlib.redirect_stdout(io.StringIO()):
    line = rumpolicy.aws_config.handler(given["event"], Context())
done = time.perf_counter()
print(json.dumps({"wall": done - started, "import_package": imported - started, "import_handler": modules - imported,
                  "invocation": done - modules, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "evaluations": line["evaluations"]}))
"""


def pool(index: int) -> str:
    return f"{REGION}:00000000-0000-4000-8000-{index:012x}"


def setup(world: World, monitors: int) -> None:
    """``monitors`` correct app monitors ``app-000``..., each with its own pool and guest role."""
    urllib.request.urlopen(urllib.request.Request(f"{world.moto_url}/moto-api/reset", method="POST"), timeout=60).read()
    world.standin.reset()
    for index in range(monitors):
        name = f"app-{index:03}"
        arn = f"arn:aws:rum:{REGION}:{DEFAULT_ACCOUNT}:appmonitor/{name}"
        role = world.role(f"{name}-guest", trust_policy(pool(index)), put_policy(arn))
        world.standin.add_identity_pool(DEFAULT_ACCOUNT, pool(index), allow_classic_flow=False,
                                        unauthenticated_role=role)
        world.standin.add_app_monitor(DEFAULT_ACCOUNT, REGION, name, pool_id=pool(index))


def event(invoke: Invoker, trigger: str) -> dict:
    if trigger == "role change":
        return invoke.event("role_change", item=invoke.role_item("app-000-guest"))
    if trigger == "pool change":
        return invoke.event("pool_change", item={"resourceId": pool(0)})
    if trigger == "monitor change":
        return invoke.event("monitor_change", item={"resourceId": "app-000", "resourceName": "app-000"})
    return invoke.event("scheduled")


def measure(invoke: Invoker, trigger: str, monitors: int, repeat: int, environment: dict) -> dict:
    world = invoke.world
    setup(world, monitors)
    context = LambdaContext(remaining_ms=300_000)
    with open(os.devnull, "w") as null:
        stdout, sys.stdout = sys.stdout, null
        try:
            world.standin.calls.clear()
            first = invoke(event(invoke, trigger), context)          # untimed: warms the imports and clients
            calls = Counter(f"{c.service}:{c.operation}" for c in world.standin.calls)
            times = []
            for _ in range(repeat):
                prepared = event(invoke, trigger)
                started = time.perf_counter()
                invoke(prepared, context)
                times.append(time.perf_counter() - started)
        finally:
            sys.stdout = stdout
    verdicts = {v for counts in first["evaluations"].values() for v in counts}
    if verdicts != {"COMPLIANT"}:
        raise SystemExit(f"{trigger}: expected every verdict COMPLIANT, got {first['evaluations']}")
    given = {"event": event(invoke, trigger), "remaining_ms": 300_000, "function_arn": context.invoked_function_arn}
    proc = subprocess.run([sys.executable, "-c", COLD], input=json.dumps(given), capture_output=True, text=True,
                          env=environment, timeout=300, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{trigger}: the cold invocation failed:\n{proc.stderr[-3000:]}")
    cold = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"trigger": trigger, "monitors": monitors, "calls": dict(sorted(calls.items())), "total_calls": sum(
        calls.values()), "evaluations": sum(sum(c.values()) for c in first["evaluations"].values()),
            "warm_median_ms": round(statistics.median(times) * 1000, 1), "cold_ms": round(cold["wall"] * 1000, 1),
            "import_package_ms": round(cold["import_package"] * 1000, 2),
            "import_handler_ms": round(cold["import_handler"] * 1000, 1),
            "peak_rss_mib": round(cold["peak_kib"] / 1024, 1)}


def markdown(rows: list[dict], repeat: int) -> str:
    lines = [f"# AWS Config rule handler ({platform.python_implementation()} {platform.python_version()}, "
             f"warm = median of {repeat})", "",
             "| trigger | monitors in region | evaluations | API calls | warm ms | cold ms | import rumpolicy.aws_config ms "
             "| import handler ms | peak RSS |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['trigger']} | {row['monitors']} | {row['evaluations']} | {row['total_calls']} | "
                     f"{row['warm_median_ms']} | {row['cold_ms']} | {row['import_package_ms']} | "
                     f"{row['import_handler_ms']} | {row['peak_rss_mib']} MiB |")
    lines += ["", "API calls of one invocation, by operation:", "",
              "| trigger | monitors | operation | calls |", "|---|---|---|---|"]
    for row in rows:
        for operation, count in row["calls"].items():
            lines.append(f"| {row['trigger']} | {row['monitors']} | {operation} | {count} |")
    lines += ["", "Peak RSS: ru_maxrss of the fresh process that imported the handler and ran one invocation."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="monitors for the scheduled runs")
    parser.add_argument("--region-monitors", type=int, default=10, help="monitors in the region for the changes")
    parser.add_argument("--repeat", type=int, default=5, help="warm invocations per trigger (the median is shown)")
    parser.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    args = parser.parse_args(argv)

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    standin = AwsStandin(f"http://{host}:{port}").start()
    with tempfile.TemporaryDirectory() as empty_dir:
        empty = Path(empty_dir) / "aws-empty"
        empty.write_text("")
        settings = {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": standin.url,
                    **{f"AWS_ENDPOINT_URL_{service}": standin.url for service in SERVICES}}
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTPS_PROXY", "https_proxy", "RUMPOLICY_SECURITY_HUB"):
            os.environ.pop(name, None)
        os.environ.update(settings)
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        invoke = Invoker(World(f"http://{host}:{port}", standin))
        try:
            rows = [measure(invoke, trigger, args.region_monitors, args.repeat, environment)
                    for trigger in ("role change", "pool change", "monitor change")]
            rows += [measure(invoke, "scheduled", size, args.repeat, environment) for size in args.sizes]
        finally:
            standin.stop()
            server.stop()
    print(json.dumps(rows, indent=2) if args.json else markdown(rows, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
