"""Package layout only (metadata lives in pyproject.toml).

The rule catalogue sits at the top-level ``rules/`` folder, where it is easy to browse, and ships
inside the wheel as ``rumpolicy.rules``; its area sub-packages are found automatically.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["rumpolicy", "rumpolicy.*"])
    + ["rumpolicy.rules"]
    + [f"rumpolicy.rules.{name}" for name in find_packages("rules")],
    package_dir={"rumpolicy.rules": "rules"},
)
