"""Any policy file yields a policy psirt can run under, or one InputError naming the file and
the key, never another exception, in bounded time."""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from importlib import resources
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from psirt.domain.issue import Event, SecurityIssue, assess
from psirt.domain.policy import load_policy
from psirt.domain.records import Role, canonical_json
from psirt.errors import InputError
from tests.conftest import ASSETS
from tests.unit.fuzzing import _native, json_values, scalars, to_toml

# PSIRT_FUZZ_EXAMPLES=N: a longer run with random examples (CI runs the fixed small set).
LONG = os.environ.get("PSIRT_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(LONG or 60),
    derandomize=not LONG,
    database=None,
    deadline=dt.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SOURCE = "site-policy.toml"
DEFAULT = tomllib.loads(
    resources.files("psirt.policy").joinpath("default.toml").read_text(encoding="utf-8")
)
STORED = json.loads((ASSETS / "issues" / "stored" / "events-e63103b.json").read_text())
EVENTS = [Event.from_dict(e) for e in STORED["issues"]["fix_closed"]]


def _leaves(node: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out = []
    for key, value in node.items():
        if isinstance(value, dict) and value:
            out.extend(_leaves(value, (*path, key)))
        else:
            out.append(((*path, key), value))
    return out


LEAVES = _leaves(DEFAULT)


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same kind as a default (and sometimes another kind)."""
    if isinstance(value, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(value, int):
        same = st.integers(min_value=-5, max_value=400) | st.integers(-(2**70), 2**70)
    elif isinstance(value, float):
        same = st.floats(allow_nan=True, allow_infinity=True)
    elif isinstance(value, str):
        same = st.sampled_from([value, "immediate", "out_of_cycle", "minimal", "x"]) | st.text()
    elif isinstance(value, list):
        roles = [r.value for r in Role]
        same = st.lists(st.sampled_from([*roles, "serious", "high", "x"]), max_size=3) | st.lists(
            st.fixed_dictionaries({}, optional={
                "id": st.text(max_size=5), "severity": st.lists(st.sampled_from(
                    ["minor", "serious", "critical", "deadly"]), max_size=2),
                "exploitability": st.lists(st.sampled_from(["low", "high", "x"]), max_size=2),
                "unless_verified_compensating_controls": scalars, "extra": scalars,
            }), max_size=2)  # fmt: skip
    else:
        same = scalars
    return st.one_of(same, same, same, json_values() | _native)


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


@st.composite
def user_policies(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for path, value in draw(st.lists(st.sampled_from(LEAVES), max_size=5), label="paths"):
        _set(doc, path, draw(_like(value)))
    if draw(st.booleans()):
        names = st.text(max_size=12) | st.sampled_from(["pat.psirt", "a@b.org", "x-y", ""])
        roles = st.lists(st.sampled_from([r.value for r in Role] + ["boss"]), max_size=2)
        doc["people"] = draw(st.dictionaries(names, roles | scalars, max_size=4))
    if draw(st.booleans()):
        path = draw(st.sampled_from([(), *(p[:-1] for p, _ in LEAVES if len(p) > 1)]))
        _set(doc, (*path, draw(st.text(max_size=6))), draw(scalars))
    return doc


def load(text: bytes) -> None:
    try:
        policy = load_policy(text, source=SOURCE)
    except InputError as exc:
        assert exc.source == SOURCE and str(exc).startswith(f"{SOURCE}: ")
        return
    # the policy can be run under: digest, timers, risk evaluation, SSVC
    assert len(policy.digest) == 64 and canonical_json(dict(policy.document))
    issue = SecurityIssue.from_events(EVENTS, policy)
    issue.deadlines(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    analysis = issue.analysis
    assert analysis is not None
    assess(analysis, policy)


@FUZZ
@given(user_policies())
def test_structured_policy_files(document: dict[str, Any]) -> None:
    load(to_toml(document).encode("utf-8"))


# What earlier runs found, kept as fixed examples.
@example(b"[risk]\ncvss_high_at = nan\n")  # no digest of a NaN
@example(b"[ssvc]\nepss_bump_at = inf\n")
@example(b"[intake]\nack_business_days = 2080551\n")  # deadlines overflow and take minutes
@example(b"[timers]\nprocess_review_days = 10000000\n")
@example(b"[timers.ssvc_fix_days]\nimmediate = 99999999\n")
@example(b"[risk]\nepss_raise_levels = 123456789012\n")
@example(b'[people]\n"pat.psirt" = ["psirt_lead"]\n"sam@example.org" = ["qa_approver"]\n')
@example(b"a = " + b"[" * 100_000)  # nested too deeply
@example(b"a = " + b"9" * 5000)  # too long an integer
@FUZZ
@given(
    st.binary(max_size=64)
    | st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.sampled_from([b"a = " + b"[" * 5000, b"a = " + b"9" * 5000, b"\xef\xbb\xbf[timers]\n",
                       b"[timers]\ntriage_days = -1", b"[risk]\ncvss_high_at = nan\n",
                       b"[timers]\ntriage_days = 1e3\n"])
)  # fmt: skip
def test_raw_policy_files(data: bytes) -> None:
    load(data)
