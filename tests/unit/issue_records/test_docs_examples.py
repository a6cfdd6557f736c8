"""Every example in docs/issue-records.md parses into the record it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from psirt.domain.records import RECORD_TYPES, Intake, Record
from psirt.errors import InputError
from psirt.services import issues

DOC = Path(__file__).resolve().parents[3] / "docs" / "issue-records.md"
BLOCK = re.compile(r"(?:<!-- record: (\S+) -->\n)?```(toml|json)\n(.*?)\n```", re.S)


def _examples() -> list[tuple[str, str, str]]:
    out = []
    for m in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        marker, lang, body = m.groups()
        first = body.split("\n", 1)[0]
        if marker is None and first.startswith("# record: "):
            marker = first.removeprefix("# record: ").strip()
        if marker is not None:
            out.append((marker, lang, body))
    return out


EXAMPLES = _examples()


def test_every_record_kind_has_an_example() -> None:
    kinds = {k for k, _, _ in EXAMPLES}
    expected = set(RECORD_TYPES) | {"decision"}
    expected -= {"R4_disclosure", "R5_resolution", "R12_cross_product"}  # in "decision"
    assert expected <= kinds | {"R12_cross_product"}
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("kind", "lang", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_parses(kind: str, lang: str, body: str) -> None:
    source = f"example.{lang}"
    data = issues.parse_record_document(body.encode(), source=source)
    records: list[Record]
    if kind == "decision":
        found = issues.decision_from_data(data, source=source)
        cr = found.change_request
        records = [*found.records, *([cr] if cr else [])]
        assert found.cross_product.checked
    else:
        if kind == Intake.KIND:
            data.pop("title", None)
        records = [issues.record_from_data(RECORD_TYPES[kind], data, source=source)]
    for record in records:
        assert type(record).from_dict(record.to_dict()) == record


def test_unknown_field_in_an_example_would_be_named() -> None:
    with pytest.raises(InputError, match=r"^x.toml: reasn: unknown field; reason: missing field$"):
        issues.record_from_data(
            RECORD_TYPES["rework"],
            issues.parse_record_document(b'reasn = "x"', source="x.toml"),
            source="x.toml",
        )
