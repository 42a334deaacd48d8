"""Build the AWS Config rule's Lambda deployment package: ``python -m rumpolicy.aws_config.package OUT.zip``.

The zip holds the *installed* distributions, with no network: rumpolicy (its ``rumpolicy.rules``
catalogue included) and the closure of its runtime ``Requires-Dist`` (no extras), plus boto3 and its
closure (botocore, s3transfer, jmespath, python-dateutil, six, urllib3) unless ``--no-boto3``: the
boto3 bundled with the Lambda runtime may be older than rumpolicy needs (botocore 1.41: RUM's
GetResourcePolicy and ``Platform``). Each distribution's files are those its ``RECORD`` lists; an
editable install (``pip install -e``) lists none of its sources, so rumpolicy is then built as a wheel
from its source tree (``pip wheel --no-build-isolation``) and the wheel's files are taken.

The zip is deterministic: entries sorted by name, one fixed timestamp, fixed permissions, no
scripts, and the installed ``__pycache__`` left out. Two builds from the same installation are
byte-identical.

Bytecode is compiled into the zip (``--no-compile`` leaves it out) when the target runtime is this
interpreter's Python version: Lambda's ``/var/task`` is read-only, so a zip without it compiles
every module again on each cold start (measured here: 1.25 s instead of 0.45 s for the first
evaluation, ``docs/scale.md``). The files are unchecked hash-based pycs (PEP 552): they depend on
the source alone, not on a timestamp, and the import system never stats the source to validate
them, which is right for files that never change. They are compiled in a fresh interpreter with a
fixed hash seed (``PYTHONHASHSEED=0``: the order of set constants) so that the same sources always
give the same bytes, whoever calls ``build``.

Some of those distributions carry compiled extensions (rpds-py, PyYAML, tree-sitter and its grammars),
built for the machine that installed them. The zip therefore runs only on a Lambda runtime whose
Python version, architecture and glibc fit their wheel tags. ``--runtime`` and ``--architecture``
(default: the running interpreter's) name the target; the build refuses when a compiled
distribution's tags do not fit it, naming the distribution. Use the printed values as the template's
``Runtime`` and ``Architecture`` parameters.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import io
import json
import marshal
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Lambda's Python runtimes and the glibc of the Amazon Linux each runs on (python3.11: Amazon Linux 2).
RUNTIMES: dict[str, tuple[int, int]] = {"python3.11": (2, 26), "python3.12": (2, 34), "python3.13": (2, 34)}
# Lambda's architecture names and the machine (wheel tag) names.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}
# What the Lambda runtime's bundled boto3 cannot be trusted to provide (see the module docstring).
BOTO3 = "boto3"
ROOT = "rumpolicy"

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
# Installer bookkeeping that differs from machine to machine and that nothing reads at run time.
SKIPPED_METADATA = frozenset({"INSTALLER", "REQUESTED", "direct_url.json"})
# What building rumpolicy's wheel reads from its source tree (pyproject.toml, setup.py).
SOURCE_TREE = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "rumpolicy", "rules")
# Legacy manylinux names and the glibc each stands for (PEP 600).
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class PackagingError(Exception):
    """The package cannot be built for the target (the message says why)."""


@dataclass(frozen=True, slots=True)
class Target:
    runtime: str        # "python3.12"
    architecture: str   # Lambda's name: "x86_64" | "arm64"

    @property
    def python(self) -> tuple[int, int]:
        major, minor = self.runtime.removeprefix("python").split(".")
        return int(major), int(minor)

    @property
    def glibc(self) -> tuple[int, int]:
        return RUNTIMES[self.runtime]

    @property
    def machine(self) -> str:
        return ARCHITECTURES[self.architecture]


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    size: int
    files: int
    distributions: tuple[str, ...]   # "name version", sorted
    target: Target


def running_target() -> Target:
    """The Lambda runtime and architecture that match the running interpreter."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    machine = platform.machine()
    architecture = next((name for name, tag in ARCHITECTURES.items() if tag == machine), machine)
    return Target(runtime, architecture)


def _requirement_names(dist: metadata.Distribution, target: Target) -> list[str]:
    """The distributions ``dist`` requires at run time on ``target`` (markers evaluated, extras left out)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors it; every environment that installed these distributions has pip
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    version = "{}.{}".format(*target.python)
    environment = {"python_version": version, "python_full_version": f"{version}.0", "extra": "",
                   "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                   "platform_machine": target.machine, "implementation_name": "cpython",
                   "platform_python_implementation": "CPython"}
    names = []
    for line in dist.requires or ():
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            names.append(requirement.name)
    return names


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: Iterable[str], target: Target) -> list[metadata.Distribution]:
    """The installed distributions ``roots`` need, themselves included, sorted by normalized name."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = _normalized(pending.pop())
        if name in found:
            continue
        # The first installed one: a source tree's ``*.egg-info`` (on sys.path when run from the tree) has no RECORD.
        dist = next((d for d in metadata.distributions(name=name) if d.read_text("RECORD") is not None), None)
        if dist is None:
            raise PackagingError(f"{name} is required but not installed (no distribution with a RECORD file)")
        found[name] = dist
        pending.extend(_requirement_names(dist, target))
    return [found[name] for name in sorted(found)]


def _wheel_tags(dist: metadata.Distribution) -> tuple[bool, list[str]]:
    """(pure Python?, the ``Tag`` lines of its WHEEL file)."""
    text = dist.read_text("WHEEL") or ""
    pure = re.search(r"^Root-Is-Purelib:\s*true\s*$", text, re.MULTILINE | re.IGNORECASE) is not None
    return pure, re.findall(r"^Tag:\s*(\S+)\s*$", text, re.MULTILINE)


def _tag_fits(tag: str, target: Target) -> bool:
    """Whether one compiled wheel's tag (``cp311-cp311-manylinux_2_17_x86_64``) runs on ``target``."""
    python, abi, plat = tag.split("-", 2)
    wanted = "cp{}{}".format(*target.python)
    if abi == "abi3":
        match = re.fullmatch(r"cp(\d)(\d+)", python)
        if not match or (int(match[1]), int(match[2])) > target.python:
            return False
    elif python != wanted or abi not in (wanted, "none"):
        return False
    for one in plat.split("."):
        if one in {f"{name}_{target.machine}" for name in LEGACY_MANYLINUX}:
            glibc = LEGACY_MANYLINUX[one.removesuffix(f"_{target.machine}")]
        else:
            match = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{target.machine}", one)
            if not match:
                continue
            glibc = (int(match[1]), int(match[2]))
        if glibc <= target.glibc:
            return True
    return False


def check_fits(dists: Iterable[metadata.Distribution], target: Target) -> None:
    """Refuse a compiled distribution that would not load on ``target``."""
    misfits = []
    for dist in dists:
        if _editable_source(dist) is not None:
            continue  # built as a wheel at packaging time, which checks that it is pure Python
        pure, tags = _wheel_tags(dist)
        if not pure and not any(_tag_fits(tag, target) for tag in tags):
            misfits.append(f"{dist.metadata['Name']} {dist.version} ({', '.join(tags) or 'no wheel tag'})")
    if misfits:
        raise PackagingError(
            f"these compiled distributions do not run on Lambda {target.runtime} {target.architecture} "
            f"(glibc {'.'.join(map(str, target.glibc))}): {'; '.join(misfits)}. Build on Linux "
            f"{target.machine} with Python {'.'.join(map(str, target.python))} from manylinux wheels, or pass "
            f"the --runtime/--architecture that match this machine")


def _editable_source(dist: metadata.Distribution) -> Path | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable") or not info.get("url", "").startswith("file://"):
        return None
    return Path(info["url"].removeprefix("file://"))


def _keep(name: str) -> bool:
    parts = name.split("/")
    if parts[0] in ("..", "") or "__pycache__" in parts or name.endswith((".pyc", ".pyo")):
        return False
    return not (parts[0].endswith(".dist-info") and parts[-1] in SKIPPED_METADATA)


def _wheel_files(source: Path) -> Iterator[tuple[str, bytes]]:
    """The files of a wheel built from an editable install's source tree.

    The build runs on a copy of what it reads (``SOURCE_TREE``), so that it writes no ``build/`` or
    ``*.egg-info`` into the tree and cannot race another build of the same tree (the wheel tests')."""
    with tempfile.TemporaryDirectory(prefix="rumpolicy-wheel-") as temp:
        tree, out = Path(temp) / "src", Path(temp) / "dist"
        for name in SOURCE_TREE:
            if (source / name).is_dir():
                shutil.copytree(source / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif (source / name).is_file():
                tree.mkdir(exist_ok=True)
                shutil.copy2(source / name, tree / name)
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--disable-pip-version-check", "-q", "-w", str(out), str(tree)],
                              capture_output=True, text=True)
        wheels = sorted(out.glob("*.whl"))
        if proc.returncode or len(wheels) != 1:
            raise PackagingError(f"could not build a wheel of {source}: {proc.stderr.strip()}")
        if not wheels[0].name.endswith("-none-any.whl"):
            raise PackagingError(f"{wheels[0].name} is not pure Python: it would not run on another machine")
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in wheel.namelist():
                if not name.endswith("/") and _keep(name) and not name.endswith(".dist-info/RECORD"):
                    yield name, wheel.read(name)


def files_of(dist: metadata.Distribution) -> Iterator[tuple[str, bytes]]:
    """(name in the zip, content) for each file the distribution installed."""
    source = _editable_source(dist)
    if source is not None:
        yield from _wheel_files(source)
        return
    if dist.files is None:
        raise PackagingError(f"{dist.metadata['Name']} has no RECORD: cannot tell its files")
    for file in dist.files:
        name = file.as_posix()
        if _keep(name):
            yield name, Path(dist.locate_file(file)).read_bytes()


# Runs in a fresh interpreter: reads {name: source} (marshal) on stdin, writes {name: pyc} on stdout.
_COMPILER = """
import importlib.util, marshal, sys
sources = marshal.loads(sys.stdin.buffer.read())
out = {}
for name in sorted(sources):
    try:
        code = compile(sources[name], name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        continue            # a file that is never imported (a template, a test data file): left as source
    flags = (1).to_bytes(4, "little")           # hash-based, unchecked (PEP 552)
    out[name] = importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(sources[name]) + marshal.dumps(code)
sys.stdout.buffer.write(marshal.dumps(out))
"""


def _cache_name(name: str) -> str:
    """``a/b.py`` -> ``a/__pycache__/b.cpython-311.pyc``, as the import system looks for it."""
    folder, _, file = name.rpartition("/")
    cached = f"__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def compiled(sources: dict[str, bytes]) -> dict[str, bytes]:
    """The pyc of every source that compiles, by its ``__pycache__`` name."""
    env = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _COMPILER], input=marshal.dumps(sources),
                          capture_output=True, env=env)
    if proc.returncode:
        raise PackagingError(f"compiling the sources failed: {proc.stderr.decode(errors='replace').strip()}")
    return {_cache_name(name): pyc for name, pyc in marshal.loads(proc.stdout).items()}


def build(out: Path, *, boto3: bool = True, target: Target | None = None, compile_bytecode: bool = True) -> Built:
    """Write the deployment package to ``out`` (with bytecode, when ``compile_bytecode`` and the target runtime
    is this interpreter's Python version)."""
    target = target or running_target()
    if target.runtime not in RUNTIMES:
        raise PackagingError(f"{target.runtime} is not a Lambda runtime this package supports "
                             f"({', '.join(RUNTIMES)})")
    if target.architecture not in ARCHITECTURES:
        raise PackagingError(f"{target.architecture} is not a Lambda architecture ({', '.join(ARCHITECTURES)})")
    dists = closure([ROOT, BOTO3] if boto3 else [ROOT], target)
    check_fits(dists, target)
    entries: dict[str, tuple[bytes, str]] = {}
    for dist in dists:
        owner = dist.metadata["Name"]
        for name, content in files_of(dist):
            if name in entries and entries[name][0] != content:
                raise PackagingError(f"{name} is installed by both {entries[name][1]} and {owner}")
            entries[name] = (content, owner)
    if compile_bytecode and target.python == sys.version_info[:2]:
        sources = {name: content for name, (content, _) in entries.items() if name.endswith(".py")}
        for name, pyc in compiled(sources).items():
            entries[name] = (pyc, "bytecode")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, whatever the build machine: the mode bits above are Unix ones
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name][0], compresslevel=6)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return Built(out, out.stat().st_size, len(entries),
                 tuple(f"{d.metadata['Name']} {d.version}" for d in dists), target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rumpolicy.aws_config.package", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the zip to write")
    parser.add_argument("--no-boto3", action="store_true",
                        help="leave boto3 and botocore out (use the Lambda runtime's own: it may be too old)")
    here = running_target()
    parser.add_argument("--runtime", choices=sorted(RUNTIMES), default=here.runtime,
                        help=f"the Lambda runtime (default: this interpreter's, {here.runtime})")
    parser.add_argument("--architecture", choices=sorted(ARCHITECTURES), default=here.architecture,
                        help=f"the Lambda architecture (default: this machine's, {here.architecture})")
    parser.add_argument("--no-compile", action="store_true",
                        help="leave the bytecode out (each cold start then compiles every module)")
    args = parser.parse_args(argv)
    try:
        built = build(args.out, boto3=not args.no_boto3, target=Target(args.runtime, args.architecture),
                      compile_bytecode=not args.no_compile)
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {built.path}: {built.size} bytes, {built.files} files from {len(built.distributions)} "
          f"distributions ({', '.join(built.distributions)})")
    print(f"deploy it with Runtime={built.target.runtime} Architecture={built.target.architecture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
