"""Terraform configurations (``*.tf``, ``*.tf.json``) -> the model.

A folder is one module, as for Terraform: all its ``.tf`` and ``.tf.json`` files together. A folder
that another folder of the run calls as a local module (``source = "./modules/rum"``) is loaded as
that module, with the arguments of the call, and not again as a root of its own. A ``.tf`` file named
explicitly on the command line is loaded alone, as a module of one file, so that a file can be
checked by itself (the rule fixtures are such files); name the folder to check a whole module.

What Terraform evaluates before apply is evaluated here (``terraform_eval``): variables take their
default, then ``terraform.tfvars``, ``*.auto.tfvars`` (and their ``.json`` forms) from the root
folder, then each ``--var-file`` in order, as Terraform does (other ``.tfvars`` files in a folder are
read by Terraform only when named, so they are not used either); locals; ``jsonencode``;
``data "aws_iam_policy_document"``; references between resources; ``count`` and ``for_each`` with
known values; local modules. ``data.aws_region``, ``data.aws_caller_identity`` and
``data.aws_partition`` are the deploy target: the region and account of the ``aws`` provider block
when it states them (``region``, a single ``allowed_account_ids``), else ``--region``/``--account``,
else the symbolic values CloudFormation's pseudo parameters give. What cannot be evaluated is
reported as RUM-SRC-001 where it is written, and never guessed.

Provider defaults that decide a check are applied: an ``aws_cognito_identity_pool`` without
``allow_classic_flow`` has the classic flow disabled (the provider sends ``false``).

This module is the entry point: which candidates are roots, which folders are called as modules, and
which variable files a root takes. The work is in ``terraform_sources`` (reading and indexing files),
``terraform_modules`` (evaluating module instances), ``terraform_views`` (what the model builder
reads of a resource) and ``terraform_policy_documents`` (``data "aws_iam_policy_document"``).
"""

from __future__ import annotations

import gc
import os
from typing import Any, Iterable

from rumpolicy.chain.link import link
from rumpolicy.load.options import LoadOptions
from rumpolicy.load.terraform_modules import Given, ModuleInstance
from rumpolicy.load.terraform_nodes import Literal
from rumpolicy.load.terraform_resources import Builder
from rumpolicy.load.terraform_kinds import (CONFIG_SUFFIXES, VARIABLE_SUFFIXES, is_auto_variables, is_configuration,
                                            is_variables)
from rumpolicy.load.terraform_sources import ModuleSource, Run
from rumpolicy.model import Inventory
from rumpolicy.model.inputs import UndecidedCheck

__all__ = ["CONFIG_SUFFIXES", "VARIABLE_SUFFIXES", "is_auto_variables", "is_configuration", "is_variables",
           "load_configurations"]

def load_configurations(candidates: Iterable[Any], options: LoadOptions) -> Inventory:
    """Load the Terraform candidates of one run (``Candidate`` objects of ``rumpolicy.load``)."""
    # Parsing and evaluating make hundreds of thousands of small objects, nearly all kept until the
    # rules have run: the cyclic collector, run every few hundred of them, would walk the growing heap
    # again and again (a fifth of the time of loading 100 modules). Reference counting frees what is
    # dropped meanwhile; the few cycles (a module instance and its evaluator) wait for the collector,
    # which runs as before once the loading is done.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(candidates, options)
    finally:
        if was_enabled:
            gc.enable()


def _load(candidates: Iterable[Any], options: LoadOptions) -> Inventory:
    run = Run(options)
    result = Inventory()
    run.variable_files()           # read (and their errors reported) even when no root module uses them
    roots: list[tuple[str, tuple[str, ...]]] = []
    folders: dict[str, list[str]] = {}
    variables: dict[str, list[str]] = {}
    for candidate in candidates:
        path = candidate.path
        if is_variables(path):
            if candidate.explicit:
                # A variable file is used with --var-file; named as a path it is not something to check.
                run.input_file(path, True, None)
            elif is_auto_variables(path):
                variables.setdefault(os.path.dirname(path) or ".", []).append(path)
            continue
        if candidate.explicit:
            run.config(path, explicit=True)
            roots.append((os.path.dirname(path) or ".", (path,)))
        else:
            folders.setdefault(os.path.dirname(path) or ".", []).append(path)
    called = _called_folders(run, folders)
    for folder in sorted(folders):
        if os.path.abspath(folder) not in called:
            roots.append((folder, ()))
    for folder, only in roots:
        source = run.module_source(folder, only)
        given: dict[str, Given] = {}
        for path in sorted(variables.get(folder, []), key=_variable_file_order):
            for name, attribute in (run.variables(path, explicit=False) or {}).items():
                given[name] = Given(attribute, None)
        for values in run.variable_files():
            for name, attribute in values.items():
                given[name] = Given(attribute, None)
        builder = Builder()
        undecided: list[UndecidedCheck] = []
        try:
            root = ModuleInstance(run, source, "", folder, given, {}, (os.path.abspath(folder),))
            root.collect(builder, undecided)
        except (RecursionError, MemoryError) as error:
            _not_evaluated(run, source, "its expressions refer to each other through too many levels"
                           if isinstance(error, RecursionError) else "it is too large to evaluate")
            continue
        except Exception as error:  # a defect here must not keep the other inputs from being checked
            _not_evaluated(run, source, f"evaluating it failed ({type(error).__name__}: {error}), a defect in "
                                        "rumpolicy to report")
            continue
        group = builder.finish()
        group.undecided.extend(undecided)
        link(group)
        result.extend(group)
    result.files.extend(sorted(run.files.values(), key=lambda f: f.path))
    return result


def _not_evaluated(run: Run, source: ModuleSource, why: str) -> None:
    where = source.files[0].path if source.files else source.folder
    run.problem(where, f"the Terraform module in {source.folder} was not checked: {why}", None, "")


def _variable_file_order(path: str) -> tuple[int, str]:
    # terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order.
    name = os.path.basename(path)
    return ({"terraform.tfvars": 0, "terraform.tfvars.json": 1}.get(name, 2), name)


def _called_folders(run: Run, folders: dict[str, list[str]]) -> set[str]:
    """Folders that a folder of the run calls as a local module: loaded as modules, not as roots."""
    called: set[str] = set()
    for folder in folders:
        source = run.module_source(folder)
        for block in source.modules.values():
            attribute = block.body.attribute("source")
            value = attribute.expr.value if attribute and isinstance(attribute.expr, Literal) else None
            if isinstance(value, str) and value.startswith(("./", "../", ".\\", "..\\")):
                target = os.path.abspath(os.path.join(folder, value))
                if target != os.path.abspath(folder):
                    called.add(target)
    return called
