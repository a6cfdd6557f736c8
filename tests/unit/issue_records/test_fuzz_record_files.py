"""Any TOML or JSON record file yields records or one InputError naming the file (and the
field), never another exception, in bounded time."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psirt.domain.policy import default_policy
from psirt.domain.records import (
    RECORD_TYPES,
    ChangeRequest,
    CrossProduct,
    DisclosureDecision,
    Intake,
    Record,
    ResolutionDecision,
    canonical_json,
)
from psirt.errors import InputError
from psirt.services import issues
from tests.unit.fuzzing import json_values, record_dicts, scalars, to_json, to_toml

# PSIRT_FUZZ_EXAMPLES=N: a longer run with random examples (CI runs the fixed small set).
LONG = os.environ.get("PSIRT_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(LONG or 60),
    derandomize=not LONG,
    database=None,
    deadline=dt.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KINDS = [*sorted(RECORD_TYPES), "decision"]


@functools.cache
def decision_documents() -> st.SearchStrategy[dict[str, Any]]:
    r5 = record_dicts(ResolutionDecision)
    return st.fixed_dictionaries(
        {},
        optional={
            "disclosure": record_dicts(DisclosureDecision),
            "resolution": r5 | st.lists(r5, max_size=3),
            "cross_product": record_dicts(CrossProduct),
            "change_request": record_dicts(ChangeRequest),
            "notes": scalars,
        },
    )


def read(kind: str, data: bytes, source: str) -> list[Record]:
    """What ``psirt issue ... --file`` does with a file: parse, decode, prepare."""
    try:
        document = issues.parse_record_document(data, source=source)
    except InputError as exc:
        assert exc.source == source and str(exc).startswith(f"{source}: ")
        return []
    try:
        if kind == "decision":
            records = issues.decision_from_data(document, source=source).records
        else:
            if kind == Intake.KIND:
                document.pop("title", None)
            records = [issues.record_from_data(RECORD_TYPES[kind], document, source=source)]
    except InputError as exc:
        assert exc.source == source and str(exc).startswith(f"{source}: ")
        assert exc.problems and all(location for location, _ in exc.problems), exc.problems
        return []
    out = []
    for record in records:
        prepared = issues.prepare(record, default_policy())
        stored = json.loads(canonical_json(prepared.to_dict()))
        assert type(prepared).from_dict(stored, source="stored") == prepared
        out.append(prepared)
    return out


@FUZZ
@given(st.data())
def test_structured_record_files(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    strategy = decision_documents() if kind == "decision" else record_dicts(RECORD_TYPES[kind])
    document = data.draw(strategy, label="document")
    if data.draw(st.booleans(), label="toml"):
        read(kind, to_toml(document).encode("utf-8"), "record.toml")
    else:
        read(kind, to_json(document).encode("utf-8"), "record.json")


# What earlier runs found, kept as fixed examples.
@example("R10_release_advisory", b'{"": null}', "record.json")  # an unnamed field
@example("R11_post_fix", b'{"effectiveness_method": "m", "effectiveness_result": "r", '
         b'"deployment_rate": NaN}', "record.json")  # no canonical JSON for NaN  # fmt: skip
@example("R11_post_fix", b"effectiveness_method = 'm'\neffectiveness_result = 'r'\n"
         b"deployment_rate = inf\n", "record.toml")  # fmt: skip
@example("rework", b'{"reason": "\\ud800"}', "record.json")  # a lone surrogate
@example("rework", b'{"reason": "a\\u0000b"}', "record.json")  # NUL: PostgreSQL refuses it
@example("rework", b'{"reason": ' + b"1" * 5000 + b"}", "record.json")  # too long an integer
@example("rework", b"reason = " + b"1" * 5000, "record.toml")
@example("rework", b"[" * 100_000, "record.json")  # nested too deeply
@example("R16_closure", b"rmf_updated_ref = " + b"[" * 100_000, "record.toml")
@FUZZ
@given(
    st.sampled_from(KINDS),
    st.binary(max_size=64)
    | st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | json_values().map(lambda v: json.dumps(v).encode())
    | st.sampled_from(
        [
            b"[" * 5000,
            b"{" * 5000,
            b"a = " + b"[" * 5000,
            b'{"a": ' + b"1" * 5000 + b"}",
            b"a = " + b"9" * 5000,
            b"\xef\xbb\xbf{}",
            b"a = 1979-05-27T07:32:00",
            b"reason = 07:32:00",
            b"reason = nan",
            b'{"reason": NaN}',
        ]
    ),  # fmt: skip
    st.sampled_from(["record.toml", "record.json"]),
)
def test_raw_record_files(kind: str, data: bytes, source: str) -> None:
    read(kind, data, source)
