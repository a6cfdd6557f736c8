"""The knowledge-base cache of ``psirt match``: reused while current, rebuilt when the
knowledge base changes, harmless when stale or corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from psirt.cli.main import main
from psirt.services import kb_cache
from tests.conftest import require_shared


def _osv(path: Path, vuln_id: str, fixed: str, modified: str) -> Path:
    record = {
        "schema_version": "1.6.0",
        "id": vuln_id,
        "modified": modified,
        "aliases": ["CVE-2099-0001"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _sbom(path: Path) -> Path:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "name": "demo-pkg",
                "version": "1.5",
                "purl": "pkg:pypi/demo-pkg@1.5",
            },
            {"type": "library", "name": "django", "version": "2.2", "purl": "pkg:pypi/django@2.2"},
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _match(capsys: pytest.CaptureFixture[str], sbom: Path) -> dict[str, object]:
    capsys.readouterr()
    code = main(["match", str(sbom), "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    value: dict[str, object] = orjson.loads(out)
    return value


def _ids(value: dict[str, object]) -> list[tuple[str, str]]:
    rows = value["findings"]
    assert isinstance(rows, list)
    return [(r["purl"], r["advisory_id"]) for r in rows]


def test_cache_is_reused_rebuilt_and_survives_corruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["init"]) == 0
    sbom = _sbom(tmp_path / "sbom.json")
    assert kb_cache.cached_knowledge(url) is None  # nothing cached yet

    first = _osv(tmp_path / "a.json", "GHSA-demo", "1.2", "2024-01-01T00:00:00Z")
    assert main(["feed", "import", str(first), "--format", "json"]) == 0
    assert _ids(_match(capsys, sbom)) == []  # 1.5 is past the fix
    cache = kb_cache.cache_path(url)
    assert cache.is_file()
    assert kb_cache.cached_knowledge(url) is not None

    # A newer version of the record moves the fix: the revision changes, the cache is rebuilt.
    second = _osv(tmp_path / "b.json", "GHSA-demo", "1.6", "2024-02-01T00:00:00Z")
    assert main(["feed", "import", str(second), "--format", "json"]) == 0
    assert kb_cache.cached_knowledge(url) is None  # stale
    assert _ids(_match(capsys, sbom)) == [("pkg:pypi/demo-pkg@1.5", "CVE-2099-0001")]
    assert kb_cache.cached_knowledge(url) is not None

    # Corrupt and truncated caches are misses, never errors.
    cache.write_bytes(b"\x00" * 8 + b"not marshal data")
    assert kb_cache.cached_knowledge(url) is None
    assert _ids(_match(capsys, sbom)) == [("pkg:pypi/demo-pkg@1.5", "CVE-2099-0001")]
    cache.write_bytes(cache.read_bytes()[:100])
    assert _ids(_match(capsys, sbom)) == [("pkg:pypi/demo-pkg@1.5", "CVE-2099-0001")]


def test_cached_and_uncached_reports_agree_on_real_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    monkeypatch.setenv("PSIRT_DATABASE_URL", url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["init"]) == 0
    zipped = require_shared("osv", "pypi-pypa-advisory-database.zip")
    assert main(["feed", "import", str(zipped), "--format", "json"]) == 0
    sbom = _sbom(tmp_path / "sbom.json")
    built = _match(capsys, sbom)  # builds and writes the cache
    cached = _match(capsys, sbom)  # reads it
    assert built == cached
    ids = {advisory for _purl, advisory in _ids(cached)}
    assert "CVE-2019-12308" in ids  # django 2.2
    with_advisories = main(["match", str(sbom), "--advisories", str(zipped), "--format", "json"])
    assert with_advisories == 1
    assert orjson.loads(capsys.readouterr().out) == cached


def test_match_against_the_store_on_either_database(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """psirt match reads the knowledge base of the store (PostgreSQL included) and caches it
    under the store's revision."""
    monkeypatch.setenv("PSIRT_DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    record = _osv(tmp_path / "a.json", "GHSA-demo", "1.6", "2024-01-01T00:00:00Z")
    assert main(["feed", "import", str(record), "--format", "json"]) == 0
    sbom = _sbom(tmp_path / "sbom.json")
    assert _ids(_match(capsys, sbom)) == [("pkg:pypi/demo-pkg@1.5", "CVE-2099-0001")]
    assert kb_cache.cache_path(db_url).is_file()
    assert _ids(_match(capsys, sbom)) == [("pkg:pypi/demo-pkg@1.5", "CVE-2099-0001")]
