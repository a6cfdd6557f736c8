"""Proactive vulnerability identification: activities, dispositions, test plans, attack surfaces.

IEC 81001-5-1 clause 9.5 asks for SAST in the build, DAST and penetration tests at defined
intervals and after attack-surface changes, continuous SBOM scanning, and a record of every
activity with the disposition of each finding. This module holds those rules as pure values:

* :class:`ActivityType` - the kinds of activity psirt records;
* :class:`Disposition` - what was decided about one finding (checked on construction);
* :class:`TestPlan` - per product, which activities are required and how often
  (:class:`Requirement`), read from the documented TOML format below;
* :class:`AttackSurface` - per release, the declared interfaces, ports, protocols, services,
  external APIs and user roles; :meth:`AttackSurface.diff` names what changed;
* :func:`evaluate_due` - what is due or overdue, and why.

Test plan TOML (``psirt plan set --product P plan.toml``)::

    # Every key but "type" is optional.
    [[activity]]
    type = "sast"              # sast, dast, penetration_test, sbom_scan, fuzzing,
                               # code_review, threat_model_review
    every_build = true         # each recorded build (commit) needs one

    [[activity]]
    type = "dast"
    every_release = true       # each release needs one before it is released
    interval_days = 90         # and one at least every 90 days

    [[activity]]
    type = "penetration_test"
    interval_days = 365
    independent = true         # only performers independent of the developers count

    [[activity]]
    type = "threat_model_review"
    on_surface_change = true   # due for a release whose attack surface changed

A change of the attack surface between consecutive releases always makes a DAST and a
penetration test due for the newer release (clause 9.5); ``on_surface_change`` adds other
activity types to that rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, assert_never

from psirt.errors import InputError, UsageError


class ActivityType(StrEnum):
    SAST = "sast"
    DAST = "dast"
    PENETRATION_TEST = "penetration_test"
    SBOM_SCAN = "sbom_scan"
    FUZZING = "fuzzing"
    CODE_REVIEW = "code_review"
    THREAT_MODEL_REVIEW = "threat_model_review"


# A change of the attack surface makes these due in any case (IEC 81001-5-1 9.5).
SURFACE_CHANGE_TYPES: tuple[ActivityType, ...] = (
    ActivityType.DAST,
    ActivityType.PENETRATION_TEST,
)


class DispositionKind(StrEnum):
    PROMOTED = "promoted"  # a new security issue was opened for it
    ATTACHED = "attached"  # attached to an existing security issue
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"  # the same weakness as another finding
    ACCEPTED = "accepted"  # risk accepted, with a reference to the record
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Disposition:
    """One decision about a finding. Invariants per kind:

    * promoted / attached: ``issue_id`` names the security issue;
    * false positive, not applicable: a ``rationale``;
    * duplicate: ``duplicate_of`` names the other finding;
    * accepted: a ``reference`` to the risk acceptance record.

    Any kind may carry a ``reference`` to the record that justifies it (``psirt.domain.reference``
    lists the forms); the store refuses one that names no stored record.
    """

    kind: DispositionKind
    rationale: str = ""
    issue_id: int | None = None
    duplicate_of: int | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        missing = self.missing()
        if missing:
            raise UsageError(f"disposition {self.kind.value}: {missing}")

    def missing(self) -> str | None:
        match self.kind:
            case DispositionKind.PROMOTED | DispositionKind.ATTACHED:
                if self.issue_id is None:
                    return "needs the security issue (--issue N)"
            case DispositionKind.FALSE_POSITIVE | DispositionKind.NOT_APPLICABLE:
                if not self.rationale.strip():
                    return "needs a rationale (--rationale TEXT)"
            case DispositionKind.DUPLICATE:
                if self.duplicate_of is None:
                    return "needs the other finding (--duplicate-of ID)"
            case DispositionKind.ACCEPTED:
                if not self.reference.strip():
                    return "needs a reference to the acceptance record (--reference RECORD)"
            case _:
                assert_never(self.kind)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "rationale": self.rationale,
            "issue_id": self.issue_id,
            "duplicate_of": self.duplicate_of,
            "reference": self.reference,
        }


# ---------------------------------------------------------------------------------------------
# Test plan


@dataclass(frozen=True, slots=True)
class Requirement:
    """One required activity of a product and its cadence."""

    type: ActivityType
    every_build: bool = False
    every_release: bool = False
    interval_days: int | None = None
    on_surface_change: bool = False
    independent: bool = False

    def __post_init__(self) -> None:
        if self.interval_days is not None and self.interval_days <= 0:
            raise ValueError("interval_days must be positive")

    def cadence(self) -> str:
        parts = []
        if self.every_build:
            parts.append("every build")
        if self.every_release:
            parts.append("every release")
        if self.interval_days is not None:
            parts.append(f"every {self.interval_days} days")
        if self.on_surface_change or self.type in SURFACE_CHANGE_TYPES:
            parts.append("on attack-surface change")
        return ", ".join(parts) or "no cadence"


_REQUIREMENT_KEYS = {
    "type",
    "every_build",
    "every_release",
    "interval_days",
    "on_surface_change",
    "independent",
}


@dataclass(frozen=True, slots=True)
class TestPlan:
    """The required activities of one product (at most one requirement per activity type)."""

    __test__ = False  # not a pytest test class

    requirements: tuple[Requirement, ...]

    def requirement(self, kind: ActivityType) -> Requirement | None:
        return next((r for r in self.requirements if r.type is kind), None)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], source: str) -> TestPlan:
        """Read the TOML structure documented in the module docstring."""
        unknown = sorted(set(doc) - {"activity", "version"})
        if unknown:
            raise InputError(source, unknown[0], "unknown key (expected [[activity]] tables)")
        items = doc.get("activity", [])
        if not isinstance(items, list):
            raise InputError(source, "activity", "must be an array of tables ([[activity]])")
        seen: set[ActivityType] = set()
        out = []
        for i, item in enumerate(items):
            where = f"activity[{i}]"
            if not isinstance(item, Mapping):
                raise InputError(source, where, "must be a table")
            extra = sorted(set(item) - _REQUIREMENT_KEYS)
            if extra:
                raise InputError(source, f"{where}.{extra[0]}", "unknown key")
            kind = _activity_type(item.get("type"), source, f"{where}.type")
            if kind in seen:
                raise InputError(source, f"{where}.type", f"{kind.value} is required twice")
            seen.add(kind)
            interval = item.get("interval_days")
            if interval is not None and (
                isinstance(interval, bool) or not isinstance(interval, int) or interval <= 0
            ):
                raise InputError(
                    source, f"{where}.interval_days", "must be a positive whole number"
                )
            flags = {}
            for key in ("every_build", "every_release", "on_surface_change", "independent"):
                value = item.get(key, False)
                if not isinstance(value, bool):
                    raise InputError(source, f"{where}.{key}", "must be true or false")
                flags[key] = value
            req = Requirement(kind, interval_days=interval, **flags)
            if not (req.every_build or req.every_release or interval or req.on_surface_change):
                if kind not in SURFACE_CHANGE_TYPES:
                    raise InputError(
                        source,
                        where,
                        "no cadence: set every_build, every_release, interval_days "
                        "or on_surface_change",
                    )
            out.append(req)
        return cls(tuple(out))

    def as_dict(self) -> dict[str, Any]:
        return {
            "activity": [
                {
                    "type": r.type.value,
                    "every_build": r.every_build,
                    "every_release": r.every_release,
                    "interval_days": r.interval_days,
                    "on_surface_change": r.on_surface_change,
                    "independent": r.independent,
                }
                for r in self.requirements
            ]
        }


def _activity_type(value: Any, source: str, where: str) -> ActivityType:
    try:
        return ActivityType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in ActivityType)
        raise InputError(source, where, f"{value!r} is not one of {allowed}") from None


# ---------------------------------------------------------------------------------------------
# Attack surface

SURFACE_FIELDS: tuple[str, ...] = (
    "interfaces",
    "ports",
    "protocols",
    "services",
    "external_apis",
    "user_roles",
)


def _surface_item(value: Any, source: str, where: str) -> str:
    if isinstance(value, bool):
        raise InputError(source, where, "must be a string or a port number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    if isinstance(value, Mapping):
        # {name = "...", ...}: the identity is the whole table, keys sorted
        if not value:
            raise InputError(source, where, "must not be empty")
        return ", ".join(
            f"{k}={_surface_item(v, source, f'{where}.{k}')}" for k, v in sorted(value.items())
        )
    raise InputError(source, where, "must be a non-empty string, a port number or a table")


@dataclass(frozen=True, slots=True)
class AttackSurface:
    """What a release exposes. Every field is a sorted tuple of normalised strings."""

    interfaces: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    external_apis: tuple[str, ...] = ()
    user_roles: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, doc: Any, source: str) -> AttackSurface:
        """``{"interfaces": [...], "ports": [443, "5683/udp"], ...}``; at least one field."""
        if not isinstance(doc, Mapping):
            raise InputError(source, None, "an attack surface declaration must be a table")
        unknown = sorted(set(doc) - set(SURFACE_FIELDS))
        if unknown:
            raise InputError(
                source, unknown[0], f"unknown key (expected {', '.join(SURFACE_FIELDS)})"
            )
        if not doc:
            raise InputError(
                source, None, f"declares nothing (expected {', '.join(SURFACE_FIELDS)})"
            )
        values: dict[str, tuple[str, ...]] = {}
        for name in SURFACE_FIELDS:
            raw = doc.get(name, [])
            if not isinstance(raw, list):
                raise InputError(source, name, "must be a list")
            values[name] = tuple(
                sorted({_surface_item(v, source, f"{name}[{i}]") for i, v in enumerate(raw)})
            )
        return cls(**values)

    def as_dict(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in SURFACE_FIELDS}

    def diff(self, newer: AttackSurface) -> SurfaceChange:
        added: dict[str, tuple[str, ...]] = {}
        removed: dict[str, tuple[str, ...]] = {}
        for name in SURFACE_FIELDS:
            old, new = set(getattr(self, name)), set(getattr(newer, name))
            if new - old:
                added[name] = tuple(sorted(new - old))
            if old - new:
                removed[name] = tuple(sorted(old - new))
        return SurfaceChange(added, removed)


@dataclass(frozen=True, slots=True)
class SurfaceChange:
    added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    removed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def describe(self) -> str:
        parts = [f"+{k}: {', '.join(v)}" for k, v in self.added.items()]
        parts += [f"-{k}: {', '.join(v)}" for k, v in self.removed.items()]
        return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# What is due


class DueStatus(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class ReleaseFact:
    """A release as the due rules see it, in creation order."""

    version: str
    status: str  # development | released | fielded | end-of-support
    created_at: dt.datetime
    surface: AttackSurface | None = None

    @property
    def shipped(self) -> bool:
        return self.status in ("released", "fielded")


@dataclass(frozen=True, slots=True)
class ActivityFact:
    """A recorded activity as the due rules see it."""

    type: ActivityType
    release: str | None
    build: str | None
    started: dt.datetime
    ended: dt.datetime | None
    independent: bool

    @property
    def done_at(self) -> dt.datetime:
        return self.ended or self.started


@dataclass(frozen=True, slots=True)
class DueItem:
    type: ActivityType
    status: DueStatus
    reason: str
    release: str | None = None
    deadline: dt.date | None = None


def evaluate_due(
    plan: TestPlan | None,
    *,
    plan_since: dt.datetime | None,
    releases: Sequence[ReleaseFact],
    activities: Iterable[ActivityFact],
    now: dt.datetime,
    due_soon_days: int = 30,
) -> list[DueItem]:
    """Every required activity that is missing or late, each with the reason.

    * ``every_build``: the newest recorded build (commit) must have one; due while its release
      is in development, overdue once the release shipped.
    * ``every_release``: every release that is not end-of-support must have one; due before
      release, overdue for a shipped release without one.
    * ``interval_days``: the newest one must have ended within the interval; due within
      ``due_soon_days`` of the deadline, overdue after it. With none recorded at all, the
      interval runs from when the plan was set.
    * attack surface: a release whose declaration differs from the previous declared
      release's needs a DAST and a penetration test (and every ``on_surface_change`` type)
      recorded for that release.

    ``independent`` requirements count only activities by independent performers.
    """
    acts = sorted(activities, key=lambda a: a.done_at)
    live = [r for r in releases if r.status != "end-of-support"]
    items: list[DueItem] = []
    reqs: dict[ActivityType, Requirement] = {r.type: r for r in plan.requirements} if plan else {}
    for kind in SURFACE_CHANGE_TYPES:
        reqs.setdefault(kind, Requirement(kind))

    for req in reqs.values():
        done = [a for a in acts if a.type is req.type and (a.independent or not req.independent)]
        label = req.type.value + (" by an independent performer" if req.independent else "")
        if req.every_build:
            items.extend(_build_due(req, label, done, acts, live))
        if req.every_release:
            for rel in live:
                if not any(a.release == rel.version for a in done):
                    status = DueStatus.OVERDUE if rel.shipped else DueStatus.DUE
                    when = "was released" if rel.shipped else "is not released yet"
                    items.append(
                        DueItem(
                            req.type,
                            status,
                            f"required every release; release {rel.version} {when} "
                            f"and has no {label}",
                            rel.version,
                        )
                    )
        if req.interval_days is not None and (done or plan_since is not None):
            start = done[-1].done_at if done else plan_since
            assert start is not None
            deadline = (start + dt.timedelta(days=req.interval_days)).date()
            days_left = (deadline - now.date()).days
            last = (
                f"last {label} ended {done[-1].done_at.date().isoformat()}"
                if done
                else f"no {label} recorded since the plan was set {start.date().isoformat()}"
            )
            if days_left < 0:
                items.append(
                    DueItem(
                        req.type,
                        DueStatus.OVERDUE,
                        f"required every {req.interval_days} days; {last}; "
                        f"{-days_left} days overdue",
                        None,
                        deadline,
                    )
                )
            elif days_left <= due_soon_days:
                items.append(
                    DueItem(
                        req.type,
                        DueStatus.DUE,
                        f"required every {req.interval_days} days; {last}; due in {days_left} days",
                        None,
                        deadline,
                    )
                )
        if req.on_surface_change or req.type in SURFACE_CHANGE_TYPES:
            items.extend(_surface_due(req, label, done, releases))
    order = {t: i for i, t in enumerate(ActivityType)}
    items.sort(key=lambda i: (i.status is not DueStatus.OVERDUE, order[i.type], i.release or ""))
    return items


def _build_due(
    req: Requirement,
    label: str,
    done: Sequence[ActivityFact],
    every: Sequence[ActivityFact],
    live: Sequence[ReleaseFact],
) -> list[DueItem]:
    builds = [a for a in every if a.build]
    if not builds:
        return []
    newest = builds[-1]
    if any(a.build == newest.build and a.release == newest.release for a in done):
        return []
    rel = next((r for r in live if r.version == newest.release), None)
    if newest.release is not None and rel is None:
        return []  # the build belongs to a release that is out of support
    shipped = rel is not None and rel.shipped
    return [
        DueItem(
            req.type,
            DueStatus.OVERDUE if shipped else DueStatus.DUE,
            f"required every build; newest build {newest.build}"
            + (f" of release {newest.release}" if newest.release else "")
            + f" has no {label}",
            newest.release,
        )
    ]


def _surface_due(
    req: Requirement, label: str, done: Sequence[ActivityFact], releases: Sequence[ReleaseFact]
) -> list[DueItem]:
    """Compare each declared release with the previous declared one (end-of-support included)."""
    items = []
    previous: ReleaseFact | None = None
    for rel in releases:
        if rel.surface is None:
            continue
        if previous is not None and previous.surface is not None and rel.status != "end-of-support":
            change = previous.surface.diff(rel.surface)
            if change.changed and not any(a.release == rel.version for a in done):
                items.append(
                    DueItem(
                        req.type,
                        DueStatus.OVERDUE if rel.shipped else DueStatus.DUE,
                        f"attack surface changed from release {previous.version} to "
                        f"{rel.version} ({change.describe()}); no {label} recorded "
                        f"for {rel.version}",
                        rel.version,
                    )
                )
        previous = rel
    return items
