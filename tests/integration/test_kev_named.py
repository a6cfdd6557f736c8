"""A finding KEV-listed through a CVE its distro advisory lists as related (AlmaLinux
ALSA-2023:5453 fixes CVE-2023-4911, "Looney Tunables", in the KEV catalogue): the CVE is named
on the finding, on the issue opened from it and in the issue listing, on SQLite and PostgreSQL.
Data: the demo portfolio's Imaging Workstation SBOM, AlmaLinux 9 OSV slice and KEV slice."""

from __future__ import annotations

from psirt.demo import data_dir
from psirt.domain.policy import default_policy
from psirt.ingest.sbom import read_sbom_file
from psirt.services import catalog, feeds, issues, sboms, scanning
from psirt.services.catalog import ReleaseStatus
from psirt.services.findings import stored_findings
from psirt.store.db import Store

IMAGING = "Imaging Workstation"
POLICY = default_policy()
FIXED_BY_ALSA = ("CVE-2023-4527", "CVE-2023-4806", "CVE-2023-4813", "CVE-2023-4911")


def _load(store: Store) -> None:
    root = data_dir()
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name=IMAGING)
        catalog.add_release(s, actor="alice", product=IMAGING, version="5.1",
                            status=ReleaseStatus.DEVELOPMENT)  # fmt: skip
        data, parsed = read_sbom_file(root / "sbom" / "imaging-workstation-5.1.cdx.json")
        sboms.import_sbom(s, actor="alice", product=IMAGING, version="5.1", data=data,
                          parsed=parsed, file_name="imaging.cdx.json")  # fmt: skip
        feeds.import_feeds(
            s, [root / "feeds" / "osv-almalinux9-slice.zip", root / "feeds" / "kev-slice.json"],
            actor="feedbot",
        )  # fmt: skip
        scanning.scan_release(s, actor="alice", product=IMAGING, version="5.1")


def test_kev_listed_through_a_related_cve_is_named(store: Store) -> None:
    _load(store)
    with store.reader() as s:
        every = stored_findings(s, product=IMAGING, release="5.1")
        listed = stored_findings(s, kev_only=True)
    assert [(f["component"], f["advisory_id"], f["aliases"], f["kev"], f["kev_ids"])
            for f in listed] == [
        ("glibc", "ALSA-2023:5453", ["ALSA-2023:5453"], True, ["CVE-2023-4911"])
    ]  # fmt: skip
    assert every[0] == listed[0]  # KEV-listed first
    assert not any(f["kev"] or f["kev_ids"] for f in every[1:])
    glibc = listed[0]["id"]

    with store.unit_of_work() as s:
        opened = issues.promote_findings(s, [glibc], actor="pat", policy=POLICY)
    with store.reader() as s:
        (summary,) = issues.list_issues(s, POLICY)
        detail = issues.show_issue(s, opened.issue_id, POLICY)
    assert (summary.id, summary.kev, summary.kev_ids) == (opened.issue_id, True, ("CVE-2023-4911",))
    assert summary.vulnerability_ids == (*FIXED_BY_ALSA, "ALSA-2023:5453")
    assert (detail.summary.kev, detail.summary.kev_ids) == (True, ("CVE-2023-4911",))
    assert [(f["id"], f["kev_ids"], f["in_release_matrix"], f["issue"])
            for f in detail.findings] == [
        (glibc, ["CVE-2023-4911"], True, opened.issue_id)
    ]  # fmt: skip
    assert detail.as_dict()["kev_ids"] == ("CVE-2023-4911",)
