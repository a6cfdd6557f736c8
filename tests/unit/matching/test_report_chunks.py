"""The JSON report handed out in pieces: any chunk size gives the same text as ``json``."""

from __future__ import annotations

import orjson
import pytest

from psirt.domain.sbom import Component
from psirt.matching.knowledge import KnowledgeBase
from psirt.services.findings import match_findings, match_report
from tests.unit.matching.test_plain_and_report import COMPONENTS, RECORDS


def _reference(kb: KnowledgeBase, components: list[Component]) -> bytes:
    value = {"components": len(components), "findings": match_findings(kb, kb.match(components))}
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 3, 1000])
def test_chunks_join_to_the_report(rows_per_chunk: int) -> None:
    kb = KnowledgeBase.build(RECORDS, kev={"CVE-1"}, epss={"CVE-9": 0.5})
    comps = [*COMPONENTS, *COMPONENTS, Component("zz", version="1.0", purl="pkg:pypi/demo-pkg")]
    report = match_report(kb, comps)
    pieces = list(report.chunks(rows_per_chunk))
    assert b"".join(pieces) == report.json == _reference(kb, comps)
    assert report.findings == len(report.rows) >= 6
    # one piece per rows_per_chunk rows, the separators between them, head and tail
    groups = -(-len(report.rows) // rows_per_chunk)
    assert len(pieces) == 2 + groups + (groups - 1)
    assert pieces[0] == b'{\n  "components": %d,\n  "findings": [\n' % len(comps)
    assert orjson.loads(report.json)["findings"][0]["purl"] == "pkg:maven/org.demo/lib@2.1"


def test_empty_report_in_pieces() -> None:
    kb = KnowledgeBase.build(RECORDS)
    comps = [Component("x", purl="pkg:pypi/other@1")]
    report = match_report(kb, comps)
    assert report.rows == []
    assert b"".join(report.chunks(1)) == report.json == _reference(kb, comps)
    assert orjson.loads(report.json) == {"components": 1, "findings": []}
