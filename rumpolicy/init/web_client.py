"""The web client that matches the setup: the console's CDN snippet for an HTML page.

The app monitor's id and the identity pool's id (and, for the basic flow, the guest role's ARN) are
only known once the stack is deployed; the snippet carries placeholders named after the outputs that
hold them, and a comment `rumpolicy: app-monitor=NAME` links it to its monitor for ``rumpolicy check``
meanwhile (a placeholder is not read as a value). The endpoint is always set: aws-rum-web 3.0 to 3.2
otherwise send to us-west-2 whatever the region (RUM-CLIENT-001).
"""

from __future__ import annotations

import json

from rumpolicy.init.setup import SESSION_SAMPLE_RATE, TELEMETRIES, Setup

CLIENT_URL = "https://client.rum.us-east-1.amazonaws.com/1.x/cwr.js"
APP_MONITOR_ID = "APP_MONITOR_ID"
IDENTITY_POOL_ID = "IDENTITY_POOL_ID"
GUEST_ROLE_ARN = "GUEST_ROLE_ARN"
REGION = "REGION"
FILE_NAME = "rum-web-client.html"

LOADER = ("(function(n,i,v,r,s,c,x,z){x=window.AwsRumClient={q:[],n:n,i:i,v:v,r:r,c:c};"
          "window[n]=function(c,p){x.q.push({c:c,p:p});};z=document.createElement('script');z.async=true;"
          "z.src=s;document.head.insertBefore(z,document.getElementsByTagName('script')[0]);})(")

# Per format: how the deployed values are read, by placeholder.
SOURCES = {
    "cloudformation": ("the stack's outputs: aws cloudformation describe-stacks --stack-name STACK",
                       {APP_MONITOR_ID: "AppMonitorId", IDENTITY_POOL_ID: "IdentityPoolId",
                        GUEST_ROLE_ARN: "GuestRoleArn"}),
    "terraform": ("terraform output",
                  {APP_MONITOR_ID: "app_monitor_id", IDENTITY_POOL_ID: "identity_pool_id",
                   GUEST_ROLE_ARN: "guest_role_arn"}),
}
SOURCES["cdk-python"] = SOURCES["cdk-typescript"] = (
    "the stack's outputs, which cdk deploy prints", SOURCES["cloudformation"][1])


def js(value: object) -> str:
    """A JavaScript literal: single-quoted strings, as the console writes them."""
    if isinstance(value, str):
        return "'" + json.dumps(value)[1:-1].replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(js(v) for v in value) + "]"
    return json.dumps(value)


def snippet(setup: Setup, output_format: str) -> str:
    where, names = SOURCES[output_format]
    placeholders = [APP_MONITOR_ID]
    config: list[tuple[str, object]] = [("sessionSampleRate", SESSION_SAMPLE_RATE)]
    if setup.cognito:
        placeholders.append(IDENTITY_POOL_ID)
        config.append(("identityPoolId", IDENTITY_POOL_ID))
    if setup.basic:
        placeholders.append(GUEST_ROLE_ARN)
        config.append(("guestRoleArn", GUEST_ROLE_ARN))
    endpoint = setup.endpoint or f"https://dataplane.rum.{REGION}.amazonaws.com"
    config.append(("endpoint", endpoint))
    if setup.flow == "resource-policy":
        config += [("signing", False), ("alias", setup.alias)]
    config += [("telemetries", list(TELEMETRIES)), ("allowCookies", True)]
    replace = [f"     {p}: output {names[p]}" for p in placeholders]
    if setup.region is None:
        replace.append(f"     {REGION}: the region the stack is deployed to")
    notes = []
    if setup.flow == "resource-policy":
        notes = ["     The resource policy admits unsigned events that carry this alias (aws-rum-web 1.20.0 or",
                 "     later); anyone who reads the page can send it, so it narrows, it does not authenticate."]
    entries = ",\n".join(f"    {key}: {js(value)}" for key, value in config)
    region = setup.region or REGION
    return "\n".join([
        f"<!-- CloudWatch RUM web client for app monitor {setup.monitor} (rumpolicy init --flow {setup.flow}).",
        "     Put it in the <head> of every page. After deployment, replace (from " + where + "):",
        *replace,
        *notes,
        "-->",
        f"<!-- rumpolicy: app-monitor={setup.monitor} -->",
        "<script>",
        LOADER,
        "  'cwr',",
        f"  {js(APP_MONITOR_ID)},",
        "  '1.0.0',",
        f"  {js(region)},",
        f"  {js(CLIENT_URL)},",
        "  {",
        entries,
        "  }",
        ");",
        "</script>",
    ]) + "\n"
