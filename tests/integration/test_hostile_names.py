"""Names with NUL and control characters from input files are stored and read back on SQLite
and PostgreSQL (PostgreSQL refuses NUL in text and JSON: they are read as U+FFFD)."""

from __future__ import annotations

import json

from sqlalchemy import select

from psirt.ingest.sbom import parse_sbom
from psirt.ingest.scans import parse as parse_scan
from psirt.services import activities, catalog, sboms, scan_imports
from psirt.store import models as m
from psirt.store.db import Store

NAMES = ["lib\x00c", "esc\x1b[2J", "cr\rlf", "rlo\u202e"]
STORED = ["lib\ufffdc", "esc\x1b[2J", "cr\rlf", "rlo\u202e"]


def test_hostile_names_are_stored_and_read_back(store: Store) -> None:
    sbom = json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                {"type": "library", "name": n, "version": "1", "bom-ref": f"r{i}"}
                for i, n in enumerate(NAMES)
            ],
        }
    ).encode()
    report = json.dumps(
        {
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "ruff"}},
                    "results": [
                        {"ruleId": f"S{i}", "message": {"text": n}} for i, n in enumerate(NAMES)
                    ],
                }
            ],
        }
    ).encode()
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="alice", name="Pump")
        catalog.add_release(s, actor="alice", product="Pump", version="1.0")
        sboms.import_sbom(
            s,
            actor="alice",
            product="Pump",
            version="1.0",
            data=sbom,
            parsed=parse_sbom(sbom, source="b.json"),
            file_name="b.json",
        )
        scan_imports.import_scan(
            s,
            actor="alice",
            product="Pump",
            version="1.0",
            data=report,
            result=parse_scan(report, source="r.sarif"),
            file_name="r.sarif",
        )
    with store.reader() as s:
        names = list(s.scalars(select(m.Component.name).order_by(m.Component.id)))
        messages = [f.message for f in activities.list_findings(s, product="Pump")]
        stored = s.scalar(select(m.SbomDocument.content))
    assert names == STORED
    assert sorted(messages) == sorted(STORED)
    assert stored == sbom  # the evidence is kept as it was
