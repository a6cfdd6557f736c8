"""Products, releases, SBOMs and scans the issue tests need in the store (real services)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from psirt.demo import data_dir
from psirt.domain.policy import Policy
from psirt.domain.records import Record
from psirt.ingest.sbom import read_sbom_file
from psirt.services import catalog, feeds, issues, sboms, scanning
from psirt.services.catalog import ReleaseStatus
from psirt.store.db import Store
from tests.conftest import ASSETS

PUMP = "infusion-pump"
GATEWAY = "Clinical Data Gateway"
# Real PyPI advisories (pypa/advisory-database, CC-BY-4.0) from the bundled demo feed slice:
# CVE-2023-43804 (urllib3 < 1.26.17, 2.0.0 <= urllib3 < 2.0.6) and CVE-2023-45803
# (urllib3 < 1.26.18, 2.0.0 <= urllib3 < 2.0.7).
URLLIB3_ADVISORIES = ("PYSEC-2023-192", "PYSEC-2023-212")


def add_release(
    store: Store, product: str, version: str, sbom: Path | None, status: ReleaseStatus
) -> None:
    with store.unit_of_work() as s:
        if product not in {p.name for p in catalog.list_products(s)}:
            catalog.add_product(s, actor="alice", name=product)
        catalog.add_release(s, actor="alice", product=product, version=version, status=status)
        if sbom is not None:
            data, parsed = read_sbom_file(sbom)
            sboms.import_sbom(s, actor="alice", product=product, version=version, data=data,
                              parsed=parsed, file_name=sbom.name)  # fmt: skip


def scan(store: Store, product: str, version: str) -> None:
    with store.unit_of_work() as s:
        scanning.scan_release(s, actor="alice", product=product, version=version)


def seed_pump(store: Store) -> None:
    """infusion-pump 4.1.3 and 4.2.0 (fielded, OpenSSL 3.0.7) and 4.2.1 (OpenSSL 3.0.8), each
    with its SBOM, scanned."""
    for version, status in (("4.1.3", ReleaseStatus.FIELDED), ("4.2.0", ReleaseStatus.FIELDED),
                            ("4.2.1", ReleaseStatus.RELEASED)):  # fmt: skip
        add_release(store, PUMP, version, ASSETS / "issues" / "pump" / f"pump-{version}.cdx.json",
                    status)  # fmt: skip
        scan(store, PUMP, version)


def urllib3_feed(directory: Path) -> Path:
    """The urllib3 advisories as an OSV directory."""
    archive = data_dir() / "feeds" / "osv-pypi-slice.zip"
    out = directory / "osv-urllib3"
    out.mkdir(exist_ok=True)
    with zipfile.ZipFile(archive) as z:
        for name in URLLIB3_ADVISORIES:
            (out / f"{name}.yaml").write_bytes(z.read(f"vulns/urllib3/{name}.yaml"))
    return out


def seed_gateway(store: Store, tmp: Path, *, with_fix: bool = True) -> None:
    """Clinical Data Gateway 3.1.0 (urllib3 1.26.4) and 3.2.0 (urllib3 2.0.4), both fielded,
    and, with ``with_fix``, 3.2.1 (urllib3 2.0.6); the urllib3 advisories imported and every
    release scanned."""
    versions = ["3.1.0", "3.2.0", *(["3.2.1"] if with_fix else [])]
    for version in versions:
        status = ReleaseStatus.FIELDED if version != "3.2.1" else ReleaseStatus.RELEASED
        sbom = ASSETS / "issues" / "gateway" / f"gateway-{version}.cdx.json"
        add_release(store, GATEWAY, version, sbom, status)
    with store.unit_of_work() as s:
        feeds.import_feeds(s, [urllib3_feed(tmp)], actor="alice")
    for version in versions:
        scan(store, GATEWAY, version)


def as_stored(store: Store, issue_id: int, record: Record, policy: Policy) -> Record:
    """``record`` with what psirt computes before it is signed and stored."""
    with store.reader() as s:
        row = issues.get_row(s, issue_id)
        issue = issues.load(s, row, policy)
        return issues.with_facts(s, row, issue, record, policy)
