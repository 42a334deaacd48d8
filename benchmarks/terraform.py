"""Benchmark rumpolicy on Terraform: a seeded corpus of root modules, checked in one run.

    .venv/bin/python benchmarks/terraform.py                 # 100 modules, 5 timed runs of each kind
    .venv/bin/python benchmarks/terraform.py --sizes 100 300 --runs 3 --profile

Target (product issue, point 7): 100 modules checked in under 1 s on this machine.

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

Each timed run is a fresh ``rumpolicy check DIR`` process: wall time with ``time.perf_counter()``
around it, CPU time and peak memory from ``os.wait4()``. Two kinds of run, interleaved:

- *bytecode cached*: the console script of the repository's .venv, after one untimed warm-up run
  (what a developer or a CI job with an installed package sees: pip compiles bytecode on install);
- *no bytecode*: ``python -m rumpolicy`` from a copy of ``rumpolicy/`` and ``rules/`` without their
  ``__pycache__``, with ``PYTHONDONTWRITEBYTECODE=1``, so every run compiles rumpolicy's modules from
  source, as a first run after a fresh checkout does (the standard library and the dependencies keep
  their bytecode). The copy is taken once, so the repository's own ``__pycache__`` is left alone.

``--profile`` runs the check once more in this process under cProfile and reports where the own time
goes (parsing HCL, evaluating Terraform, the rest of rumpolicy and its rules) and how many files the
direct HCL parser left to python-hcl2's grammar. Results: ``benchmarks/results/terraform.json`` and ``.md``.
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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
TARGET_S = 1.0
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


def measure_cpu(cmd: list[str], env: dict[str, str] | None = None, cwd: str = ROOT) -> dict:
    """One run with CPU time and peak memory from wait4 (the process is reaped here, not by Popen)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_mib": usage.ru_maxrss / 1024,
            "rc": proc.returncode}


def cached_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE"):
        env.pop(var, None)                 # they would stop bytecode caching, or slow every run down
    return env


def uncached_env(scratch: str) -> dict[str, str]:
    """The environment of a run that compiles rumpolicy from source: a copy of the sources without
    bytecode first on the path, and no bytecode written. Run it outside the repository: ``python -m``
    puts the working directory first on the path."""
    copy = os.path.join(scratch, "source")
    if not os.path.isdir(copy):
        skip = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(os.path.join(ROOT, "rumpolicy"), os.path.join(copy, "rumpolicy"), ignore=skip)
        shutil.copytree(os.path.join(ROOT, "rules"), os.path.join(copy, "rumpolicy", "rules"), ignore=skip)
    env = cached_env()
    env["PYTHONPATH"] = copy
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The copy, not the editable install, must be what runs (the install's finder comes after the path).
    python = os.path.join(ROOT, ".venv", "bin", "python")
    found = subprocess.run([python, "-c", "import rumpolicy.rules, rumpolicy; print(rumpolicy.__file__)"],
                           env=env, capture_output=True, text=True, cwd=scratch, check=True).stdout.strip()
    if not found.startswith(copy):
        raise SystemExit(f"the copy of the sources is not what runs ({found})")
    return env


def summary(samples: list[dict]) -> dict:
    walls = [s["wall_s"] for s in samples]
    return {"runs": len(samples), "wall_median_s": round(statistics.median(walls), 3),
            "wall_min_s": round(min(walls), 3), "wall_max_s": round(max(walls), 3),
            "cpu_median_s": round(statistics.median(s["cpu_s"] for s in samples), 3),
            "maxrss_mib": round(max(s["maxrss_mib"] for s in samples), 1),
            "exit_codes": sorted({s["rc"] for s in samples})}


PARSING = ("/lark/", "/hcl2/", "/rumpolicy/load/terraform_syntax.py", "/rumpolicy/load/terraform_fast_parser.py",
           "/rumpolicy/load/terraform_nodes.py")


def _category(filename: str) -> str:
    if any(part in filename for part in PARSING):
        return "parsing HCL"
    if "/rumpolicy/load/terraform_" in filename:
        return "evaluating Terraform"
    if "/rules/" in filename:
        return "rules"
    if "/rumpolicy/" in filename:
        return "rest of rumpolicy"
    return "other (standard library, imports)"


def profile(folder: str) -> dict:
    """Where the time goes, in this process, and how many files the direct parser left to the grammar."""
    sys.path.insert(0, ROOT)
    from rumpolicy.cli import main
    from rumpolicy.load import terraform_fast_parser

    direct = terraform_fast_parser.parse_body
    counts = {"files": 0, "left_to_the_grammar": 0}

    def counted(*args, **kwargs):
        body = direct(*args, **kwargs)
        counts["files"] += 1
        counts["left_to_the_grammar"] += body is None
        return body

    terraform_fast_parser.parse_body = counted
    profiler = cProfile.Profile()
    with open(os.devnull, "w") as sink:
        stdout = sys.stdout
        sys.stdout = sink
        try:
            profiler.runcall(main, ["check", folder])
        finally:
            sys.stdout = stdout
            terraform_fast_parser.parse_body = direct
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    by_category: dict[str, float] = {}
    for (filename, _, _), row in stats.stats.items():
        category = _category(filename)
        by_category[category] = by_category.get(category, 0.0) + row[2]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(12)
    return {"profiled_total_s": total, "hcl_files": counts,
            "share_pct": {k: round(100 * v / total, 1) for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])},
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
    python = os.path.join(ROOT, ".venv", "bin", "python")
    result: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "load_average_at_start": list(os.getloadavg())},
                    "target_s": TARGET_S, "seed": args.seed, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="rumbench-tf-") as scratch:
        base = args.keep or scratch
        cached, uncached = cached_env(), uncached_env(scratch)
        for size in args.sizes:
            folder = os.path.join(base, f"n{size:04d}")
            corpus = generate(folder, size, args.seed)
            kinds = {"bytecode cached": ([rumpolicy, "check", folder, "--format", "json"], cached, ROOT),
                     "no bytecode": ([python, "-m", "rumpolicy", "check", folder, "--format", "json"], uncached,
                                     scratch)}
            for cmd, env, cwd in kinds.values():
                measure_cpu(cmd, env, cwd)                     # warm-up: bytecode (cached kind), page cache
            samples: dict[str, list[dict]] = {kind: [] for kind in kinds}
            for _ in range(args.runs):                         # interleaved, so that background load hits both
                for kind, (cmd, env, cwd) in kinds.items():
                    samples[kind].append(measure_cpu(cmd, env, cwd))
            result["sizes"][str(size)] = {"corpus": corpus, **{kind: summary(s) for kind, s in samples.items()}}
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
    return 0 if hundred is None or hundred["bytecode cached"]["wall_median_s"] < TARGET_S else 1


def render(result: dict) -> str:
    lines = ["| modules | lines (median) | run | wall median (min-max) | CPU median | peak RSS | target |",
             "|---|---|---|---|---|---|---|"]
    for size, row in result["sizes"].items():
        for kind in ("bytecode cached", "no bytecode"):
            figures = row[kind]
            met = figures["wall_median_s"] < TARGET_S
            judged = size == "100" and kind == "bytecode cached"
            target = f"< {TARGET_S:g} s: {'met' if met else 'MISSED'}" if judged else ""
            wall = f"{figures['wall_median_s']:.2f} s ({figures['wall_min_s']:.2f}-{figures['wall_max_s']:.2f})"
            lines.append(f"| {size} | {row['corpus']['lines_median']:g} | {kind} | {wall} | "
                         f"{figures['cpu_median_s']:.2f} s | {figures['maxrss_mib']:.0f} MiB | {target} |")
    load = result["machine"]
    lines.append("")
    lines.append(f"{load['cpus']} CPUs, load average {load['load_average_at_start'][0]:.2f} at start and "
                 f"{load['load_average_at_end'][0]:.2f} at the end.")
    if "profile" in result:
        shares = ", ".join(f"{k} {v}%" for k, v in result["profile"]["share_pct"].items())
        files = result["profile"]["hcl_files"]
        lines += ["", f"Profile (share of own time): {shares}. HCL files left to python-hcl2's grammar: "
                      f"{files['left_to_the_grammar']} of {files['files']}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
