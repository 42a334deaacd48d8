# rumpolicy in a container (README, "Docker"):
#
#   docker build -t rumpolicy .
#   docker run --rm -v "$PWD:/src" rumpolicy                       # rumpolicy check .
#   docker run --rm -v "$PWD:/src" rumpolicy check infra --format json
#
# The image holds `rumpolicy check` (no audit or cfn-lint extras) and runs it as an unprivileged user in
# /src. tests/test_ci_pieces.py lints this file, and builds the image where a Docker engine runs.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# What building the package reads: its metadata (pyproject.toml names README.md and LICENSE) and layout.
WORKDIR /tmp/rumpolicy
COPY pyproject.toml setup.py README.md LICENSE ./
COPY rumpolicy ./rumpolicy
COPY rules ./rules
RUN pip install --no-cache-dir . \
    && rm -rf /tmp/rumpolicy \
    && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin rumpolicy

# By number, so that a runtime can tell it is not root (Kubernetes `runAsNonRoot`).
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["rumpolicy"]
CMD ["check", "."]
