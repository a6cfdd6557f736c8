"""A record with several problems is refused once, naming every missing, unknown or invalid
field, for every record kind and for the decision file's tables."""

from __future__ import annotations

import json

import pytest

from psirt.domain.records import RECORD_TYPES, Intake, required_fields
from psirt.errors import InputError
from psirt.services import issues

KINDS = sorted(RECORD_TYPES)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_record_names_every_required_field(kind: str) -> None:
    cls = RECORD_TYPES[kind]
    required = required_fields(cls)
    if not required:
        assert issues.record_from_data(cls, {}, source="r.toml") == cls()
        return
    with pytest.raises(InputError) as exc:
        issues.record_from_data(cls, {}, source="r.toml")
    assert exc.value.problems == tuple((name, "missing field") for name in required)
    assert str(exc.value) == "r.toml: " + "; ".join(f"{n}: missing field" for n in required)


def test_intake_names_everything_at_once() -> None:
    data = {
        "source": "security_researcherz",
        "learned_at": "2025-03-03T09:00:00",
        "summary": 7,
        "affected": [{"product": "pump"}, {"product": "pump", "release": "4.2.0", "status": "x"}],
        "colour": "red",
    }
    with pytest.raises(InputError) as exc:
        issues.record_from_data(Intake, data, source="intake.toml")
    assert [loc for loc, _ in exc.value.problems] == [
        "colour",
        "source",
        "learned_at",
        "reporter",
        "channel",
        "summary",
        "affected[0].release",
        "affected[0].status",
        "affected[1].status",
    ]
    text = str(exc.value)
    assert text.startswith("intake.toml: colour: unknown field; source: 'security_researcherz' "
                           "is not one of ")  # fmt: skip
    assert "learned_at: date-time needs a time zone" in text
    assert "summary: expected a string" in text
    assert "affected[1].status: 'x' is not one of affected, not_affected" in text


def test_a_records_own_checks_join_the_field_problems() -> None:
    data = {"cvss_v31": "CVSS:3.1/AV:X", "cvss_v40": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "epss": 1.5, "kev_listed": "yes"}  # fmt: skip
    with pytest.raises(InputError) as exc:
        issues.record_from_data(RECORD_TYPES["R3_analysis"], data, source="a.toml")
    assert [loc for loc, _ in exc.value.problems] == ["kev_listed"]  # decoding comes first
    del data["kev_listed"]
    with pytest.raises(InputError) as exc:
        issues.record_from_data(RECORD_TYPES["R3_analysis"], data, source="a.toml")
    assert [loc for loc, _ in exc.value.problems] == ["cvss_v31", "cvss_v40", "epss"]
    assert exc.value.source == "a.toml"


def test_decision_file_names_every_table_and_field() -> None:
    data = issues.parse_record_document(
        b'[disclosure]\ndecision = "tell_everyone"\n\n[[resolution]]\napproach = "fix"\n\n'
        b"[[resolution]]\nrationale = 3\n\n[extra]\nx = 1\n",
        source="decision.toml",
    )
    with pytest.raises(InputError) as exc:
        issues.decision_from_data(data, source="decision.toml")
    assert [loc for loc, _ in exc.value.problems] == [
        "extra",
        "cross_product",
        "disclosure.decision",
        "disclosure.rationale",
        "resolution[0].release_vehicle",
        "resolution[0].rationale",
        "resolution[1].approach",
        "resolution[1].release_vehicle",
        "resolution[1].rationale",
    ]
    assert str(exc.value).startswith("decision.toml: extra: unknown table")


def test_one_problem_reads_as_before() -> None:
    with pytest.raises(InputError) as exc:
        issues.record_from_data(RECORD_TYPES["rework"], {"reason": 1}, source="x.json")
    assert str(exc.value) == "x.json: reason: expected a string"
    assert (exc.value.location, exc.value.reason) == ("reason", "expected a string")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a\x00b", "contains a NUL character"),
        ("\ud800", "not valid Unicode text (a lone surrogate)"),
    ],
)
def test_text_psirt_cannot_store_or_hash_is_refused(text: str, reason: str) -> None:
    data = json.dumps({"reason": text}).encode()
    with pytest.raises(InputError) as exc:
        issues.record_from_data(
            RECORD_TYPES["rework"], issues.parse_record_document(data, source="x.json"),
            source="x.json",
        )  # fmt: skip
    assert str(exc.value) == f"x.json: reason: {reason}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("nan", "expected a finite number"),
        ("inf", "expected a finite number"),
        ("1" * 400, "number out of range"),
    ],
)
def test_numbers_without_a_canonical_form_are_refused(raw: str, reason: str) -> None:
    data = f"effectiveness_method = 'm'\neffectiveness_result = 'r'\ndeployment_rate = {raw}\n"
    with pytest.raises(InputError) as exc:
        issues.record_from_data(
            RECORD_TYPES["R11_post_fix"],
            issues.parse_record_document(data.encode(), source="x.toml"),
            source="x.toml",
        )  # fmt: skip
    assert str(exc.value) == f"x.toml: deployment_rate: {reason}"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0001-01-01T00:00:00+01:00", "year 1 is outside 1900 to 9000"),
        ("9999-12-31T23:59:59-12:00", "year 9999 is outside 1900 to 9000"),
    ],
)
def test_dates_outside_the_years_deadlines_can_reach_are_refused(value: str, reason: str) -> None:
    data = {"reporter": "r", "sent_at": value, "channel": "email"}
    with pytest.raises(InputError) as exc:
        issues.record_from_data(RECORD_TYPES["R8_reporter_ack"], data, source="x.json")
    assert str(exc.value) == f"x.json: sent_at: {reason}"
