"""Pure rules of psirt.domain.activity: plan reading, surface comparison, due evaluation."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from psirt.domain.activity import (
    ActivityFact,
    ActivityType,
    AttackSurface,
    DueStatus,
    ReleaseFact,
    TestPlan,
    evaluate_due,
)
from psirt.errors import InputError
from tests.conftest import ASSETS

ACT = ASSETS / "activities"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _surface(name: str) -> AttackSurface:
    import tomllib

    raw = (ACT / name).read_bytes()
    doc = orjson.loads(raw) if name.endswith(".json") else tomllib.loads(raw.decode())
    return AttackSurface.from_mapping(doc, name)


def test_same_surface_in_other_order_and_format_is_no_change() -> None:
    a, b = _surface("surface-1.0.toml"), _surface("surface-1.0-same.json")
    assert a == b
    assert not a.diff(b).changed
    change = a.diff(_surface("surface-1.1.json"))
    assert change.added == {"interfaces": ("Bluetooth LE",), "protocols": ("BLE GATT",)}
    assert change.removed == {}
    assert a.ports == ("443", "5683/udp")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"activity": [{"type": "dast"}, {"type": "dast"}]},
            "activity[1].type: dast is required twice",
        ),
        ({"activity": [{"type": "sast"}]}, "activity[0]: no cadence"),
        (
            {"activity": [{"type": "sast", "every_build": "yes"}]},
            "every_build: must be true or false",
        ),
        ({"activity": [{"type": "sast", "cadence": 3}]}, "activity[0].cadence: unknown key"),
        ({"activities": []}, "activities: unknown key"),
    ],
)
def test_plan_refusals(doc: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as exc:
        TestPlan.from_mapping(doc, "plan.toml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("plan.toml: ")


def test_every_build_and_independence() -> None:
    plan = TestPlan.from_mapping(
        {
            "activity": [
                {"type": "sast", "every_build": True},
                {"type": "penetration_test", "interval_days": 365, "independent": True},
            ]
        },
        "p",
    )
    releases = [ReleaseFact("2.0", "development", T0)]
    acts = [
        ActivityFact(ActivityType.SAST, "2.0", "aaa", T0, None, False),
        ActivityFact(ActivityType.DAST, "2.0", "bbb", T0 + dt.timedelta(hours=1), None, False),
        ActivityFact(ActivityType.PENETRATION_TEST, "2.0", None, T0, None, False),
    ]
    items = evaluate_due(
        plan, plan_since=T0, releases=releases, activities=acts, now=T0 + dt.timedelta(days=400)
    )
    reasons = {(i.type, i.status): i.reason for i in items}
    assert reasons[(ActivityType.SAST, DueStatus.DUE)] == (
        "required every build; newest build bbb of release 2.0 has no sast"
    )
    # the in-house penetration test does not count for an independent requirement
    assert reasons[(ActivityType.PENETRATION_TEST, DueStatus.OVERDUE)].startswith(
        "required every 365 days; no penetration_test by an independent performer recorded "
        "since the plan was set 2025-01-01; 35 days overdue"
    )
    assert items[0].status is DueStatus.OVERDUE
