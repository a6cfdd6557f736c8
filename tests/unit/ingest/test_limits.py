"""Size limits: defaults per kind, environment variables, options, checked before reading."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from psirt.errors import InputError, LimitExceeded, UsageError
from psirt.ingest import limits
from psirt.ingest.limits import MB, InputKind


@pytest.mark.parametrize(
    ("kind", "megabytes", "variable"),
    [
        (InputKind.SBOM, 64, "PSIRT_MAX_SBOM_MB"),
        (InputKind.SCAN, 256, "PSIRT_MAX_SCAN_MB"),
        (InputKind.FEED, 256, "PSIRT_MAX_FEED_MB"),
        (InputKind.ARCHIVE_MEMBER, 32, "PSIRT_MAX_ARCHIVE_MEMBER_MB"),
        (InputKind.ARCHIVE, 4096, "PSIRT_MAX_ARCHIVE_MB"),
        (InputKind.RECORD, 2, "PSIRT_MAX_RECORD_MB"),
        (InputKind.ADVISORY, 64, "PSIRT_MAX_ADVISORY_MB"),
    ],
)
def test_defaults_and_environment(
    kind: InputKind, megabytes: int, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable, raising=False)
    assert limits.resolve(kind).max_bytes == megabytes * MB
    monkeypatch.setenv(variable, "0.5")
    assert limits.resolve(kind).max_bytes == MB // 2
    assert limits.resolve(kind, 3, option="--max-mb").max_bytes == 3 * MB  # the option wins


@pytest.mark.parametrize("raw", ["lots", "0", "-1", "nan", "inf"])
def test_a_bad_environment_value_is_a_usage_error(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSIRT_MAX_SCAN_MB", raw)
    with pytest.raises(UsageError, match="PSIRT_MAX_SCAN_MB"):
        limits.resolve(InputKind.SCAN)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.cdx.json"
    with big.open("wb") as handle:
        handle.truncate(200 * MB)  # sparse: 200 MB long, nothing written
    limit = limits.resolve(InputKind.SBOM, 100, option="--max-mb")
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded) as info:
            limits.read_file(big, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 * MB
    assert str(info.value) == (
        f"{big}: the file is 200.0 MB (209,715,200 bytes), more than the SBOM limit of "
        "100.0 MB (104,857,600 bytes); raise it with --max-mb or PSIRT_MAX_SBOM_MB "
        "(a number of MB)"
    )


def test_a_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"x" * 1000)
    assert limits.read_file(path, limits.SizeLimit(InputKind.RECORD, 1000)) == b"x" * 1000
    with pytest.raises(LimitExceeded, match="the file is 1,000 bytes, more than the record"):
        limits.read_file(path, limits.SizeLimit(InputKind.RECORD, 999))
    with pytest.raises(InputError, match="no such file"):
        limits.read_file(tmp_path / "missing.toml", limits.resolve(InputKind.RECORD))
