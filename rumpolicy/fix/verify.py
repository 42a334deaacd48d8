"""A `rumpolicy fix` run: check, plan, patch, and re-check in memory before anything is kept.

The re-check loads the same inputs as the first check, with the patched text handed over for the
patched files (as `check -` hands over standard input), and judges them with the same configuration.
A file's patches are kept only when, with them, every finding they fix is gone and no finding is new
(findings compared without line or pointer: ``plan.key``). Files are verified one at a time on top of
the ones already kept, so one file whose fix does not verify leaves the others fixed.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from rumpolicy.findings import Finding


@dataclass
class Outcome:
    originals: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)          # path -> the text to write
    fixed: dict[str, list[str]] = field(default_factory=dict)    # path -> rule ids fixed in it
    left: list[tuple[Finding, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


class FixRun:
    def __init__(self, paths, options, *, unsafe: bool) -> None:
        self.paths = list(paths)
        self.options = options
        self.unsafe = unsafe

    # -- loading and judging, with texts handed over ----------------------------------------------
    def _report(self, texts: dict[str, str]):
        from rumpolicy import api
        from rumpolicy.load import discover
        from rumpolicy.load.files import load_candidates
        from rumpolicy.load.source import FileBytes
        from rumpolicy.report import FileTally

        options = self.options
        candidates = []
        for candidate in discover(self.paths):
            if options.config.is_excluded(candidate.path):
                continue
            if candidate.path in texts:
                raw = texts[candidate.path].encode("utf-8")
                candidate = replace(candidate, read=FileBytes.of(candidate.path, raw, options.load.max_file_size))
            candidates.append(candidate)
        with _terraform_texts(texts):
            inventory = load_candidates(candidates, options.load)
        return inventory, api.judge(inventory, options, files=FileTally.of(inventory.files))

    def run(self) -> Outcome:
        from rumpolicy.engine import registry
        from rumpolicy.fix.plan import make_plan

        kinds = {r.id: r.fix for r in registry()}
        outcome = Outcome()
        kept: dict[str, str] = {}
        refused: dict[str, str] = {}
        left: list[tuple[Finding, str]] = []
        for _ in range(4):
            inventory, report = self._report(kept)
            if report.defects:
                outcome.defects = [f"{f.rule_id} {f.message}" for f in report.defects]
                return outcome
            formats, texts = self._formats(inventory, kept, refused)
            plan = make_plan(list(report.findings), kinds, formats, texts, self.unsafe)
            left = list(plan.skipped) + [(f, "its file was left unchanged (below)")
                                         for p, fp in plan.files.items() if p in refused for f, _ in fp.fixes]
            plan_files = {p: fp for p, fp in plan.files.items() if p not in refused}
            if not plan_files:
                break
            before = Counter(_key(f) for f in report.findings if not f.suppressed)
            progressed = False
            for path, file_plan in sorted(plan_files.items()):
                from rumpolicy.fix.apply import apply_patches
                from rumpolicy.fix.nodes import Unfixable

                try:
                    new_text = apply_patches(file_plan.text, file_plan.patches)
                except Unfixable as error:
                    refused[path] = str(error)
                    continue
                trial = dict(kept, **{path: new_text})
                _, after_report = self._report(trial)
                problem = _verdict(before, Counter(_key(f) for f in file_plan_fixed(file_plan)),
                                   [f for f in after_report.findings if not f.suppressed])
                if problem is not None:
                    refused[path] = problem
                    left.extend((f, "its file was left unchanged (below)") for f, _ in file_plan.fixes)
                    continue
                kept[path] = new_text
                outcome.originals.setdefault(path, file_plan.text)
                outcome.fixed.setdefault(path, []).extend(f.rule_id for f, _ in file_plan.fixes)
                before = Counter(_key(f) for f in after_report.findings if not f.suppressed)
                progressed = True
            if not progressed:
                break
        outcome.texts = kept
        outcome.left = _unique(left)
        outcome.refused = sorted(refused.items())
        return outcome

    def _formats(self, inventory, kept: dict[str, str], refused: dict[str, str]):
        """source -> "cloudformation:json|yaml", "iam:json|yaml" (a bare IAM policy) or "terraform:hcl" for the
        files of the run (their kind for the others); the texts of the files ``rumpolicy fix`` edits."""
        from rumpolicy.load.iam_json import IAM_POLICY
        from rumpolicy.load.source import SourceError, decode_text, parse_text

        formats: dict[str, str] = {}
        texts: dict[str, str] = {}
        for record in inventory.files:
            hcl = record.kind == "terraform" and record.path.endswith(".tf")
            bare = record.kind == IAM_POLICY
            if (record.kind != "cloudformation" and not hcl and not bare) or record.error:
                formats[record.path] = record.kind or ""
                continue
            if record.path in kept:
                text = kept[record.path]
            else:
                try:
                    with open(record.path, "rb") as handle:
                        raw = handle.read()
                    text = decode_text(raw)
                except (OSError, SourceError):
                    formats[record.path] = "unreadable"
                    continue
                if raw != text.encode("utf-8"):
                    refused.setdefault(record.path, "not UTF-8 without a byte order mark: not edited")
                    continue
                if "\r\n" in text:
                    refused.setdefault(record.path, "CRLF line endings: not edited yet")
                    continue
            if hcl:
                formats[record.path] = "terraform:hcl"
                texts[record.path] = text
                continue
            try:
                shape = parse_text(text, record.path).format
            except SourceError:
                formats[record.path] = "unreadable"
                continue
            formats[record.path] = f"{'iam' if bare else 'cloudformation'}:{shape}"
            texts[record.path] = text
        return formats, texts


@contextmanager
def _terraform_texts(texts: dict[str, str]):
    """The Terraform loader reads a module's files by path itself (a candidate's ``read`` is not used), so
    for the re-check its reader is handed the patched texts of the ``.tf`` files, by absolute path.
    (A loader option for given texts would replace this; the loader is not changed here.)"""
    from rumpolicy.load import terraform_sources

    given = {os.path.abspath(p): t for p, t in texts.items() if p.endswith(".tf")}
    if not given:
        yield
        return
    original = terraform_sources.read_text

    def read_text(path, *args, **kwargs):
        found = given.get(os.path.abspath(path))
        return found if found is not None else original(path, *args, **kwargs)

    terraform_sources.read_text = read_text
    try:
        yield
    finally:
        terraform_sources.read_text = original


def file_plan_fixed(file_plan) -> list[Finding]:
    return [f for f, _ in file_plan.fixes]


def _key(finding: Finding) -> tuple:
    from rumpolicy.fix.plan import key

    return key(finding)


def _verdict(before: Counter, fixed: Counter, after: list[Finding]) -> str | None:
    """Why the re-checked findings are not acceptable, or None: the fixed ones are gone, none is new."""
    expected = before - fixed
    have = Counter(_key(f) for f in after)
    new = have - expected
    if not new:
        return None
    by_key = {_key(f): f for f in after}
    shown = sorted({f"{by_key[k].rule_id} ({by_key[k].message})" for k in new})
    remaining = [s for k in new if k in fixed for s in [by_key[k].rule_id]]
    what = "would leave " if remaining else "would report "
    return "its fix did not verify: it " + what + "; ".join(shown)


def _unique(items: list[tuple[Finding, str]]) -> list[tuple[Finding, str]]:
    seen, out = set(), []
    for finding, why in items:
        marker = (_key(finding), finding.location.line, why)
        if marker not in seen:
            seen.add(marker)
            out.append((finding, why))
    return sorted(out, key=lambda item: item[0].sort_key())
