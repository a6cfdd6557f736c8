"""Event streams stored before records named their releases and psirt computed R9/R10 facts
still load with the same digests, and the issues can go on under today's gates."""

from __future__ import annotations

import json

import pytest

from psirt.domain.issue import Event, SecurityIssue, State
from psirt.domain.policy import default_policy
from psirt.domain.records import ResolutionApproach
from tests.conftest import ASSETS

from .helpers import closure, day, post_fix, sign

STORED = json.loads((ASSETS / "issues" / "stored" / "events-e63103b.json").read_text())


def _load(name: str) -> tuple[SecurityIssue, list[dict]]:
    stored = STORED["issues"][name]
    events = [Event.from_dict(e, source=name) for e in stored]  # checks every digest
    return SecurityIssue.from_events(events, default_policy()), stored


@pytest.mark.parametrize("name", sorted(STORED["issues"]))
def test_old_stream_loads_with_the_same_digests(name: str) -> None:
    issue, stored = _load(name)
    assert [e.to_dict() for e in issue.events] == stored
    assert all(s.covers(r) for e in issue.events for s in e.signatures
               for r in e.records if s.digest_sha256 == r.digest())  # fmt: skip


def test_old_fix_stream_shows_each_release_fixed_and_passed() -> None:
    issue, _ = _load("fix_closed")
    assert issue.state is State.CLOSED
    assert [(r.release, r.status.value, r.approach, r.gate) for r in issue.release_resolutions()] \
        == [("infusion-pump@4.2.0", "fixed", ResolutionApproach.FIX, "passed"),
            ("infusion-pump@4.1.3", "fixed", ResolutionApproach.FIX, "passed")]  # fmt: skip


def test_old_environment_stream_goes_on_to_closure() -> None:
    issue, _ = _load("environment_released")
    assert issue.state is State.RELEASED
    assert {r.gate for r in issue.release_resolutions()} == {"passed"}
    issue.monitor(post_fix(), actor="pat", at=day(40))
    c = closure()
    issue.close(c, actor="pat", at=day(41), signatures=sign(c, "quinn", at=day(41)))
    assert issue.state is State.CLOSED


def test_old_accepted_stream_closes() -> None:
    issue, _ = _load("accepted_open")
    assert issue.state is State.OPEN_ACCEPTED
    assert [(r.approach, r.gate) for r in issue.release_resolutions()] == [
        (ResolutionApproach.ACCEPT_RESIDUAL_RISK, "passed")
    ] * 2
    c = closure()
    issue.close(c, actor="pat", at=day(6), signatures=sign(c, "quinn", at=day(6)))
    assert issue.state is State.CLOSED
