"""Supplier advisories applied to stored releases (SQLite and PostgreSQL): every CISA ICSMA
advisory imports; ICSMA-20-023-01 meets the telemetry servers of a registered release by
product name and by CPE; statements are applied again after a new SBOM; the audit chain
verifies after each step."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from psirt.ingest.sbom import read_sbom_file
from psirt.services import catalog, sboms
from psirt.services import supplier_advisories as advisories
from psirt.store import audit
from psirt.store.db import Store
from psirt.store.models_advisories import SupplierDocumentRow, SupplierStatementRow
from tests.conftest import ASSETS, require_shared

PRODUCT = "Central Monitor CM-1"


def _verify(store: Store) -> None:
    with store.reader() as s:
        assert audit.verify(s).problems == ()


def _release(store: Store, sbom: Path, version: str = "1.0") -> None:
    data, parsed = read_sbom_file(sbom)
    with store.unit_of_work() as s:
        if version == "1.0":
            catalog.add_product(s, actor="dana", name=PRODUCT, manufacturer="Meridian")
        catalog.add_release(s, actor="dana", product=PRODUCT, version=version)
        sboms.import_sbom(
            s,
            actor="dana",
            product=PRODUCT,
            version=version,
            data=data,
            parsed=parsed,
            file_name=str(sbom),
        )


def test_every_icsma_advisory_imports_and_one_meets_the_release(store: Store) -> None:
    root = require_shared("advisories", "csaf", "cisa-icsma")
    _release(store, ASSETS / "advisories" / "monitor-1.0.cdx.json")
    docs, skipped = advisories.read_paths([root])
    assert skipped == [] and len(docs) == len(list(root.rglob("*.json"))) == 90
    with store.unit_of_work() as s:
        outcomes = advisories.import_documents(s, docs, actor="sam")
    assert all(not o.unchanged and o.format == "csaf" for o in outcomes)
    _verify(store)
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(SupplierDocumentRow)) == 90
        total = s.scalar(select(func.count()).select_from(SupplierStatementRow))
        assert total == sum(o.statements for o in outcomes) > 269  # one per product and CVE
        views = advisories.release_statements(s, product=PRODUCT, version="1.0")
    matched = {(v.component, v.component_version, v.method, v.document) for v in views}
    assert matched == {
        # vendor "General Electric (GE)", product_name branch, product_version 4.3;
        # the component's supplier is "GE Healthcare"
        ("CARESCAPE Telemetry Server", "4.3", "name", "ICSMA-20-023-01"),
        # product_name "ApexPro Telemetry Server", product_version_range "<= 4.2"; the
        # component has no supplier, its CPE names vendor ge and product apexpro_telemetry_server
        ("ApexPro Telemetry Server", "4.1", "cpe", "ICSMA-20-023-01"),
    }
    assert {v.vulnerability for v in views} == {f"CVE-2020-{n}" for n in range(6961, 6967)}
    assert {(v.status, v.supplier_status) for v in views} == {("affected", "known_affected")}
    assert all(v.action and v.action.startswith("vendor_fix: ") for v in views)

    # importing the directory again changes nothing
    with store.unit_of_work() as s:
        again = advisories.import_documents(s, advisories.read_paths([root])[0], actor="sam")
    assert all(o.unchanged for o in again)
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(SupplierDocumentRow)) == 90


def test_statements_are_applied_to_components_of_a_later_release(
    store: Store, tmp_path: Path
) -> None:
    root = require_shared("advisories", "csaf", "cisa-icsma", "2020")
    _release(store, ASSETS / "advisories" / "monitor-1.0.cdx.json")
    with store.unit_of_work() as s:
        advisories.import_documents(
            s, advisories.read_paths([root / "icsma-20-023-01.json"])[0], actor="sam"
        )
    # release 1.1 replaces the 4.3 server by 4.4, which ICSMA-20-023-01 does not name
    sbom = json.loads((ASSETS / "advisories" / "monitor-1.0.cdx.json").read_text())
    sbom["components"][0]["version"] = "4.4"
    path = tmp_path / "monitor-1.1.cdx.json"
    path.write_text(json.dumps(sbom))
    # the SBOM import applies the current statements to the new components itself
    _release(store, path, "1.1")
    with store.reader() as s:
        views = advisories.release_statements(s, product=PRODUCT, version="1.1")
    assert len(views) == 6  # the ApexPro server 4.1, six CVEs
    with store.unit_of_work() as s:
        assert advisories.apply_current(s, actor="sam") == (0, 0)
    _verify(store)
    with store.reader() as s:
        views = advisories.release_statements(s, product=PRODUCT, version="1.1")
    assert {v.component for v in views} == {"ApexPro Telemetry Server"}


def test_csaf_vex_not_affected_with_justification_is_proposed(store: Store, tmp_path: Path) -> None:
    path = require_shared(
        "advisories", "csaf", "oasis-examples", "csaf_vex", "sec-vex-2022-0001.json"
    )
    doc = json.loads(path.read_text())
    tree = doc["product_tree"]["branches"][0]
    assert tree["name"] == "Secvisogram" and tree["category"] == "vendor"
    sbom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            # inside the range <=1.14.0 of the product tree
            {
                "type": "application",
                "name": "Secvisogram",
                "version": "1.11.0",
                "supplier": {"name": "Secvisogram"},
            },
            # outside it
            {"type": "application", "name": "secvisogram", "version": "2.0.1"},
        ],
    }
    file = tmp_path / "tool.cdx.json"
    file.write_text(json.dumps(sbom))
    _release(store, file)
    with store.unit_of_work() as s:
        (outcome,) = advisories.import_documents(s, advisories.read_paths([path])[0], actor="sam")
    assert (outcome.matches, outcome.proposed) == (3, 3)
    with store.reader() as s:
        views = advisories.release_statements(s, product=PRODUCT, version="1.0")
    assert {
        (v.component_version, v.vulnerability, v.justification, v.assessment.state) for v in views
    } == {
        ("1.11.0", "CVE-2021-44228", "component_not_present", "proposed"),
        ("1.11.0", "CVE-2021-45046", "component_not_present", "proposed"),
        ("1.11.0", "CVE-2021-45105", "component_not_present", "proposed"),
    }
    _verify(store)


def test_newer_csaf_revision_supersedes_without_deleting(store: Store, tmp_path: Path) -> None:
    path = require_shared("advisories", "csaf", "cisa-icsma", "2020", "icsma-20-023-01.json")
    _release(store, ASSETS / "advisories" / "monitor-1.0.cdx.json")
    # revision 2 of the same advisory (same publisher and tracking id): CVE-2020-6961 is
    # fixed in the CARESCAPE Telemetry Server 4.3 (CSAFPID-0006)
    doc = json.loads(path.read_text())
    tracking = doc["document"]["tracking"]
    tracking["version"] = "2"
    tracking["current_release_date"] = "2020-03-01T00:00:00.000000Z"
    tracking["revision_history"].append(
        {"date": "2020-03-01T00:00:00.000000Z", "number": "2", "summary": "Fix for 4.3."}
    )
    vuln = doc["vulnerabilities"][0]
    assert vuln["cve"] == "CVE-2020-6961"
    vuln["product_status"]["known_affected"].remove("CSAFPID-0006")
    vuln["product_status"]["fixed"] = ["CSAFPID-0006"]
    revised = tmp_path / "icsma-20-023-01-rev2.json"
    revised.write_text(json.dumps(doc))
    with store.unit_of_work() as s:
        (first,) = advisories.import_documents(s, advisories.read_paths([path])[0], actor="sam")
    with store.unit_of_work() as s:
        (second,) = advisories.import_documents(s, advisories.read_paths([revised])[0], actor="sam")
    assert second.supersedes == first.document_id and second.problems == ()
    _verify(store)
    with store.reader() as s:
        current = advisories.release_statements(s, product=PRODUCT, version="1.0")
        everything = advisories.release_statements(
            s, product=PRODUCT, version="1.0", include_superseded=True
        )
        docs = advisories.list_documents(s)
    assert [(d.version, d.current) for d in docs] == [("1", False), ("2", True)]
    assert {(v.component, v.status) for v in current if v.vulnerability == "CVE-2020-6961"} == {
        ("CARESCAPE Telemetry Server", "fixed"),
        ("ApexPro Telemetry Server", "affected"),
    }
    assert {v.document_id for v in current} == {second.document_id}
    old = [v for v in everything if v.document_id == first.document_id]
    assert len(old) == 12 and not any(v.current for v in old)  # kept, no longer current
