"""The botocore action catalogue: lookup, expansion, gzip models, the disk cache."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rumpolicy.iam import actions


@pytest.fixture(autouse=True)
def fresh_catalogue(tmp_path, monkeypatch):
    """No test reads or writes the user's cache, and none sees another's in-memory index."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    caches = (actions._index, actions._directory_actions, actions._shipped_prefixes, actions._prefix_actions)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def _model(directory: Path, version: str, metadata: dict, operations: list[str], *, gz: bool) -> None:
    path = directory / version
    path.mkdir(parents=True)
    text = json.dumps({"metadata": metadata, "operations": {op: {} for op in operations}}).encode()
    if gz:
        (path / "service-2.json.gz").write_bytes(gzip.compress(text))
    else:
        (path / "service-2.json").write_bytes(text)


@pytest.fixture
def fake_botocore(tmp_path, monkeypatch) -> Path:
    """A botocore tree with a plain and a gzip model sharing a signing name, and an old API version."""
    root = tmp_path / "botocore"
    data = root / "data"
    _model(data / "foo", "2019-01-01", {"signingName": "foo"}, ["OldThing"], gz=False)
    _model(data / "foo", "2020-01-01", {"signingName": "foo"}, ["GetThing", "PutThing"], gz=False)
    _model(data / "foo-runtime", "2021-01-01", {"signingName": "foo"}, ["InvokeThing"], gz=True)
    _model(data / "bar", "2021-01-01", {"endpointPrefix": "baz"}, ["ListBars"], gz=True)
    (data / "_retry.json").write_text("{}")
    (root / "__init__.py").write_text("__version__ = '9.9.9'\n")
    monkeypatch.setattr(actions, "data_dir", lambda: data)
    return data


def test_prefixes_join_models_by_signing_name_and_take_the_newest_api_version(fake_botocore):
    assert actions.service_actions("foo") == {"GetThing", "PutThing", "InvokeThing"}
    assert actions.service_actions("FOO") == {"GetThing", "PutThing", "InvokeThing"}
    assert actions.service_actions("baz") == {"ListBars"}             # endpointPrefix fallback
    assert actions.service_actions("bar") == {"ListBars"}             # directory name
    assert actions.service_actions("nope") == frozenset()


def test_expand(fake_botocore):
    assert actions.expand("foo:*Thing") == {"foo:GetThing", "foo:PutThing", "foo:InvokeThing"}
    assert actions.expand("FOO:put*") == {"foo:PutThing"}
    assert actions.expand("f?o:Get*") == {"foo:GetThing"}
    assert "baz:ListBars" in actions.expand("*")
    assert actions.expand("foo") == frozenset()


def test_is_known(fake_botocore):
    assert actions.is_known("foo:getthing") is True
    assert actions.is_known("foo:InvokeThing") is True                # only through the index
    assert actions.is_known("foo:OldThing") is False
    assert actions.is_known("foo:Put*") is True
    assert actions.is_known("foo:Delete*") is False
    assert actions.is_known("nope:Anything") is None
    assert actions.is_known("nope:*") is None
    assert actions.is_known("no-colon") is None


def test_the_fast_path_reads_only_the_directory_named_like_the_prefix(fake_botocore, monkeypatch):
    monkeypatch.setattr(actions, "_build_index", lambda: pytest.fail("the full index was built"))
    assert actions.is_known("foo:PutThing") is True


def test_the_index_is_cached_on_disk_by_botocore_version(fake_botocore, tmp_path):
    assert actions.service_actions("foo")
    cache_file = tmp_path / "cache" / "rumpolicy" / "botocore-9.9.9-actions.json"
    assert json.loads(cache_file.read_text())["prefixes"]["foo"] == ["GetThing", "InvokeThing", "PutThing"]
    for model in fake_botocore.rglob("service-2.json*"):
        model.unlink()
    actions._index.cache_clear()
    assert actions.service_actions("foo") == {"GetThing", "PutThing", "InvokeThing"}


def test_a_corrupt_cache_is_rebuilt(fake_botocore, tmp_path):
    cache_file = tmp_path / "cache" / "rumpolicy" / "botocore-9.9.9-actions.json"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_text('{"format": 1, "prefixes": {"foo": "not a list"}}')
    assert actions.service_actions("foo") == {"GetThing", "PutThing", "InvokeThing"}


def test_an_unwritable_cache_directory_is_tolerated(fake_botocore, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert actions.service_actions("foo") == {"GetThing", "PutThing", "InvokeThing"}
    assert not list(tmp_path.glob("**/*.tmp"))


@pytest.mark.parametrize("action, expected", [
    ("rum:GetAppMonitorData", True), ("rum:ListAppMonitors", True), ("ec2:DescribeInstances", True),
    ("s3:HeadObject", True), ("rum:BatchGetRumMetricDefinitions", True), ("dynamodb:Query", True),
    ("rum:PutRumEvents", False), ("rum:PutResourcePolicy", False), ("rum:DeleteAppMonitor", False),
    ("rum:getappmonitor", True),
])
def test_is_read_only_is_a_verb_heuristic(action, expected):
    assert actions.is_read_only(action) is expected


class TestInstalledBotocore:
    def test_rum_actions(self):
        assert {"PutRumEvents", "PutResourcePolicy", "GetAppMonitorData"} <= actions.service_actions("rum")
        put = actions.expand("rum:Put*")
        assert {"rum:PutRumEvents", "rum:PutResourcePolicy"} <= put
        assert all(a.startswith("rum:Put") for a in put)
        assert actions.is_known("rum:PutRumEvents") is True
        assert actions.is_known("rum:PutRumEvent") is False

    def test_signing_names_reach_runtime_models(self):
        assert actions.is_known("sagemaker:InvokeEndpoint") is True      # sagemaker-runtime
        assert actions.is_known("geo:ListMaps") is True                   # location
        assert actions.is_known("notaservice:Foo") is None

    def test_the_data_directory_is_found_without_importing_botocore(self):
        data = actions.data_dir()
        assert data is not None and (data / "rum").is_dir()
        assert actions.botocore_version()


def test_the_shipped_prefix_map_matches_the_installed_botocore():
    """Regenerate with `python -m rumpolicy.iam.actions` after upgrading botocore."""
    import json

    shipped = json.loads(actions.SHIPPED_PREFIXES.read_text())
    assert shipped["botocore"] == actions.botocore_version()
    assert shipped["prefixes"] == actions.prefix_map()


def test_a_literal_prefix_reads_only_its_own_models(monkeypatch):
    monkeypatch.setattr(actions, "_build_index", lambda: pytest.fail("the full index was built"))
    monkeypatch.setattr(actions, "_load_cache", lambda path: None)
    assert "rum:PutRumEvents" in actions.expand("rum:Put*")
    assert "sagemaker:InvokeEndpoint" in actions.expand("sagemaker:Invoke*")   # in sagemaker-runtime
    assert actions.is_known("rum:PutRumEvent") is False
