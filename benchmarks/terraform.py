"""Benchmark rumpolicy on Terraform: a seeded corpus of root modules, checked in one run.

    .venv/bin/python benchmarks/terraform.py                 # 100 modules, 5 timed runs
    .venv/bin/python benchmarks/terraform.py --sizes 100 300 --runs 3 --profile

Target (from the product issue): 100 modules checked in under 2 s on this machine.

Module ``i`` depends only on ``(seed, i)``. Each is a folder as teams write them: ``versions.tf``
(provider and required providers), ``variables.tf``, ``terraform.tfvars``, ``rum.tf`` (identity
pool, guest role with a trust policy from ``jsonencode`` or ``data "aws_iam_policy_document"``,
permissions inline, as ``aws_iam_role_policy`` or as an attached ``aws_iam_policy``, the pool's
role attachment, one or two app monitors, sometimes a resource policy), ``app.tf`` (what the
application also needs: buckets, a Lambda function with its role and log group, queues, topics,
alarms, tables: resources rumpolicy reads past) and ``outputs.tf``; every fourth one puts the RUM
chain in a local module (``modules/rum``) that the root calls. About 150 to 400 lines per module;
about 40% are broken the way real ones are (no ``aud``, ``rum:*`` on ``*``, the classic flow left
at the provider's default with ``guest_role_arn``, a policy naming another monitor).

Each timed run is a fresh ``rumpolicy check DIR`` process (the console script of the repository's
.venv): wall time with ``time.perf_counter()`` around it, CPU time and peak memory from
``os.wait4()``. One untimed warm-up run comes first. ``--profile`` runs the check once more in
this process under cProfile and reports the share of time spent parsing HCL (python-hcl2 and
the Lark parser it drives). Results: ``benchmarks/results/terraform.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
TARGET_S = 2.0
SEED = 20240601
DEFECTS = ("no-aud", "rum-star", "classic-default", "stale-arn")


# --------------------------------------------------------------------------------------------
# Corpus


def _versions(region: str, account: str) -> str:
    return f'''terraform {{
  required_version = ">= 1.5"
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }}
  }}
}}

provider "aws" {{
  region              = var.region
  allowed_account_ids = ["{account}"]

  default_tags {{
    tags = {{
      Team        = var.team
      Environment = var.environment
    }}
  }}
}}
'''


def _variables(region: str, rng: random.Random) -> str:
    return f'''variable "region" {{
  type    = string
  default = "{region}"
}}

variable "environment" {{
  type        = string
  description = "Deployment stage."
}}

variable "team" {{
  type    = string
  default = "{rng.choice(["web", "growth", "checkout", "platform"])}"
}}

variable "app_name" {{
  type = string
}}

variable "domain" {{
  type = string
}}

variable "sample_rate" {{
  type    = number
  default = {rng.choice(["0.1", "0.5", "1"])}
}}
'''


def _trust(style: str, defects: set[str], pool: str) -> tuple[str, str]:
    """(data source or "", the expression for assume_role_policy)."""
    aud = "" if "no-aud" in defects else f'"cognito-identity.amazonaws.com:aud" = {pool}.id'
    if style == "document":
        condition = "" if "no-aud" in defects else f'''
    condition {{
      test     = "StringEquals"
      variable = "cognito-identity.amazonaws.com:aud"
      values   = [{pool}.id]
    }}
'''
        data = f'''data "aws_iam_policy_document" "guest_trust" {{
  statement {{
    sid     = "CognitoGuests"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {{
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }}
{condition}
    condition {{
      test     = "ForAnyValue:StringLike"
      variable = "cognito-identity.amazonaws.com:amr"
      values   = ["unauthenticated"]
    }}
  }}
}}
'''
        return data, "data.aws_iam_policy_document.guest_trust.json"
    equals = f"StringEquals             = {{ {aud} }}\n        " if aud else ""
    return "", f'''jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Federated = "cognito-identity.amazonaws.com" }}
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {{
        {equals}"ForAnyValue:StringLike" = {{ "cognito-identity.amazonaws.com:amr" = "unauthenticated" }}
      }}
    }}]
  }})'''


def _rum(rng: random.Random, defects: set[str], monitors: int, in_module: bool) -> str:
    basic = "classic-default" in defects or rng.random() < 0.25
    classic = "" if "classic-default" in defects else f"\n  allow_classic_flow               = {str(basic).lower()}"
    trust_data, trust = _trust(rng.choice(["document", "jsonencode"]), defects, "aws_cognito_identity_pool.rum")
    action = '"rum:*"' if "rum-star" in defects else '"rum:PutRumEvents"'
    names = ["web", "admin", "docs"][:monitors]
    if "rum-star" in defects:
        resources = '"*"'
    elif "stale-arn" in defects:
        resources = ('["arn:${data.aws_partition.current.partition}:rum:${data.aws_region.current.name}:'
                     '${data.aws_caller_identity.current.account_id}:appmonitor/${var.app_name}-old"]')
    else:
        resources = "[" + ", ".join(f"aws_rum_app_monitor.{n}.arn" for n in names) + "]"
    permissions = rng.choice(["role_policy", "managed", "inline"])
    policy = f'''jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid      = "SendRumEvents"
      Effect   = "Allow"
      Action   = {action}
      Resource = {resources}
    }}]
  }})'''
    inline = ""
    extra = ""
    if permissions == "inline":
        inline = f'''
  inline_policy {{
    name   = "send-rum-events"
    policy = {policy.replace(chr(10), chr(10) + "  ")}
  }}
'''
    elif permissions == "role_policy":
        extra = f'''
resource "aws_iam_role_policy" "send_rum_events" {{
  name   = "send-rum-events"
  role   = aws_iam_role.guest.id
  policy = {policy}
}}
'''
    else:
        extra = f'''
resource "aws_iam_policy" "send_rum_events" {{
  name        = "${{var.app_name}}-send-rum-events"
  description = "Lets anonymous browsers send RUM telemetry."
  policy      = {policy}
}}

resource "aws_iam_role_policy_attachment" "send_rum_events" {{
  role       = aws_iam_role.guest.name
  policy_arn = aws_iam_policy.send_rum_events.arn
}}
'''
    guest = "\n    guest_role_arn      = aws_iam_role.guest.arn" if basic else ""
    monitor_blocks = "".join(f'''
resource "aws_rum_app_monitor" "{n}" {{
  name   = "${{var.app_name}}-{n}"
  domain = "{n}.${{var.domain}}"
  cw_log_enabled = {str(rng.random() < 0.5).lower()}

  app_monitor_configuration {{
    identity_pool_id    = aws_cognito_identity_pool.rum.id{guest}
    session_sample_rate = var.sample_rate
    telemetries         = ["errors", "performance", "http"]
    allow_cookies       = true
    enable_xray         = false
  }}

  custom_events {{
    status = "ENABLED"
  }}
}}
''' for n in names)
    header = 'data "aws_partition" "current" {}\ndata "aws_region" "current" {}\ndata "aws_caller_identity" "current" {}\n'
    if in_module:
        header = ('variable "app_name" {\n  type = string\n}\n\nvariable "domain" {\n  type = string\n}\n\n'
                  'variable "sample_rate" {\n  type = number\n}\n\n') + header
    return f'''{header}
resource "aws_cognito_identity_pool" "rum" {{
  identity_pool_name               = "${{var.app_name}}-rum"
  allow_unauthenticated_identities = true{classic}
}}

{trust_data}
resource "aws_iam_role" "guest" {{
  name               = "${{var.app_name}}-rum-guest"
  description        = "Assumed by anonymous browsers to send RUM telemetry."
  assume_role_policy = {trust}
{inline}}}
{extra}
resource "aws_cognito_identity_pool_roles_attachment" "rum" {{
  identity_pool_id = aws_cognito_identity_pool.rum.id
  roles = {{
    unauthenticated = aws_iam_role.guest.arn
  }}
}}
{monitor_blocks}'''


def _app(rng: random.Random) -> str:
    blocks = ['''resource "aws_s3_bucket" "assets" {
  bucket = "${var.app_name}-${var.environment}-assets"
}

resource "aws_s3_bucket_versioning" "assets" {
  bucket = aws_s3_bucket.assets.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "assets" {
  bucket                  = aws_s3_bucket.assets.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
''', '''resource "aws_iam_role" "api" {
  name = "${var.app_name}-api"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "api_logs" {
  role       = aws_iam_role.api.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/lambda/${var.app_name}-api"
  retention_in_days = 30
}

resource "aws_lambda_function" "api" {
  function_name = "${var.app_name}-api"
  role          = aws_iam_role.api.arn
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "${path.module}/build/api.zip"
  memory_size   = 256
  timeout       = 10

  environment {
    variables = {
      TABLE = aws_dynamodb_table.sessions.name
      QUEUE = aws_sqs_queue.events.url
    }
  }
}
''', '''resource "aws_dynamodb_table" "sessions" {
  name         = "${var.app_name}-sessions"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expires"
    enabled        = true
  }
}
''', '''resource "aws_sqs_queue" "events" {
  name                      = "${var.app_name}-events"
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true
}

resource "aws_sns_topic" "alerts" {
  name = "${var.app_name}-alerts"
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each            = toset(["api", "worker"])
  alarm_name          = "${var.app_name}-${each.key}-errors"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "Errors"
  namespace           = "AWS/Lambda"
  period              = 300
  statistic           = "Sum"
  threshold           = 5
  alarm_actions       = [aws_sns_topic.alerts.arn]
  dimensions = {
    FunctionName = "${var.app_name}-${each.key}"
  }
}
''']
    rng.shuffle(blocks)
    return "\n".join(blocks[:rng.randint(2, 4)])


def module_files(seed: int, index: int) -> tuple[dict[str, str], list[str]]:
    rng = random.Random(f"{seed}:{index}")
    region = rng.choice(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"])
    account = f"{rng.randrange(10**11, 10**12):012d}"
    defects = {rng.choice(DEFECTS)} if rng.random() < 0.4 else set()
    in_module = index % 4 == 3
    app_name = f"app{index:04d}"
    monitors = 2 if rng.random() < 0.3 else 1
    files = {
        "versions.tf": _versions(region, account),
        "variables.tf": _variables(region, rng),
        "terraform.tfvars": f'environment = "prod"\napp_name    = "{app_name}"\ndomain      = "{app_name}.example.com"\n',
        "app.tf": _app(rng),
        "outputs.tf": 'output "app_monitor_id" {\n  value = ' +
                      ('module.rum.app_monitor_id' if in_module else 'aws_rum_app_monitor.web.app_monitor_id') + '\n}\n',
    }
    rum = _rum(rng, defects, monitors, in_module)
    if in_module:
        files["modules/rum/main.tf"] = rum + 'output "app_monitor_id" {\n  value = aws_rum_app_monitor.web.app_monitor_id\n}\n'
        files["rum.tf"] = ('module "rum" {\n  source      = "./modules/rum"\n  app_name    = var.app_name\n'
                           '  domain      = var.domain\n  sample_rate = var.sample_rate\n}\n')
    else:
        files["rum.tf"] = rum
    return files, sorted(defects)


def generate(folder: str, count: int, seed: int) -> dict:
    lines = []
    broken = 0
    for index in range(count):
        files, defects = module_files(seed, index)
        broken += bool(defects)
        total = 0
        for name, text in files.items():
            path = os.path.join(folder, f"module-{index:04d}", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(text)
            total += text.count("\n")
        lines.append(total)
    return {"modules": count, "broken": broken, "lines_median": statistics.median(lines),
            "lines_min": min(lines), "lines_max": max(lines), "lines_total": sum(lines)}


# --------------------------------------------------------------------------------------------
# Measuring


def measure_cpu(cmd: list[str]) -> dict:
    """One run with CPU time and peak memory from wait4 (the process is reaped here, not by Popen)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_mib": usage.ru_maxrss / 1024,
            "rc": proc.returncode}


def profile(folder: str) -> dict:
    """Where the time goes, in this process: parsing HCL (python-hcl2 and Lark) against the rest."""
    sys.path.insert(0, ROOT)
    from rumpolicy.cli import main

    profiler = cProfile.Profile()
    with open(os.devnull, "w") as sink:
        stdout = sys.stdout
        sys.stdout = sink
        try:
            profiler.runcall(main, ["check", folder])
        finally:
            sys.stdout = stdout
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    by_package: dict[str, float] = {}
    for (filename, _, _), row in stats.stats.items():
        package = next((p for p in ("/lark/", "/hcl2/", "/rumpolicy/load/", "/rumpolicy/", "/rules/")
                        if p in filename), "other")
        by_package[package] = by_package.get(package, 0.0) + row[2]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(12)
    return {"profiled_total_s": total,
            "share_pct": {k: round(100 * v / total, 1) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])},
            "top_cumulative": text.getvalue().strip().splitlines()[-14:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--profile", action="store_true", help="also profile one run of the largest size")
    parser.add_argument("--keep", metavar="DIR", help="write the corpus here and keep it")
    args = parser.parse_args(argv)
    rumpolicy = os.path.join(ROOT, ".venv", "bin", "rumpolicy")
    result: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "load_average_at_start": list(os.getloadavg())},
                    "target_s": TARGET_S, "seed": args.seed, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="rumbench-tf-") as scratch:
        base = args.keep or scratch
        for size in args.sizes:
            folder = os.path.join(base, f"n{size:04d}")
            corpus = generate(folder, size, args.seed)
            cmd = [rumpolicy, "check", folder, "--format", "json"]
            measure_cpu(cmd)                                   # warm-up: imports and files in the page cache
            samples = [measure_cpu(cmd) for _ in range(args.runs)]
            walls = [s["wall_s"] for s in samples]
            result["sizes"][str(size)] = {
                "corpus": corpus, "runs": args.runs,
                "wall_median_s": round(statistics.median(walls), 3), "wall_min_s": round(min(walls), 3),
                "wall_max_s": round(max(walls), 3),
                "cpu_median_s": round(statistics.median(s["cpu_s"] for s in samples), 3),
                "maxrss_mib": round(max(s["maxrss_mib"] for s in samples), 1),
                "exit_codes": sorted({s["rc"] for s in samples}),
            }
        if args.profile:
            result["profile"] = profile(os.path.join(base, f"n{max(args.sizes):04d}"))
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "terraform.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    report = render(result)
    with open(os.path.join(RESULTS, "terraform.md"), "w") as handle:
        handle.write(report)
    print(report)
    hundred = result["sizes"].get("100")
    return 0 if hundred is None or hundred["wall_median_s"] < TARGET_S else 1


def render(result: dict) -> str:
    lines = ["| modules | lines (median) | wall median (min-max) | CPU median | peak RSS | target |",
             "|---|---|---|---|---|---|"]
    for size, row in result["sizes"].items():
        target = f"< {TARGET_S:g} s: {'met' if row['wall_median_s'] < TARGET_S else 'MISSED'}" if size == "100" else ""
        lines.append(f"| {size} | {row['corpus']['lines_median']:g} | {row['wall_median_s']:.2f} s "
                     f"({row['wall_min_s']:.2f}-{row['wall_max_s']:.2f}) | {row['cpu_median_s']:.2f} s | "
                     f"{row['maxrss_mib']:.0f} MiB | {target} |")
    load = result["machine"]
    lines.append("")
    lines.append(f"{load['cpus']} CPUs, load average {load['load_average_at_start'][0]:.2f} at start and "
                 f"{load['load_average_at_end'][0]:.2f} at the end.")
    if "profile" in result:
        shares = ", ".join(f"{k.strip('/') or k} {v}%" for k, v in result["profile"]["share_pct"].items())
        lines += ["", f"Profile (share of own time): {shares}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
