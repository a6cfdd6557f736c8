"""Products and releases, and the release-gate decisions that change a release's status.

A release registered as released or fielded (``add_release``) gets an ``unreviewed`` decision:
it shipped without a release-gate review, and the product's next review must cover it (see
``psirt.services.release_gate``). So does a release moved there past the gate with a
justification (``override``). An approval of any release of the product lists the decisions it
covered (``covered["unreviewed"]``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.errors import Conflict, GateNotMet, NotFound, UsageError
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_release_gate import ReleaseGateDecisionRow


class ReleaseStatus(StrEnum):
    DEVELOPMENT = "development"
    RELEASED = "released"
    FIELDED = "fielded"
    END_OF_SUPPORT = "end-of-support"


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    name: str
    description: str
    manufacturer: str
    releases: tuple[str, ...]


# Decisions that put a release on the market without an approved release-gate review.
WITHOUT_REVIEW = ("unreviewed", "override")


@dataclass(frozen=True, slots=True)
class WithoutReview:
    """A release put on the market without a release-gate review, and the approval of the
    product that covered it since (None while the product's next review has yet to)."""

    release_id: int
    version: str
    decision_id: int
    kind: str  # unreviewed | override
    status: str
    decided_by: str
    decided_at: dt.datetime
    justification: str
    covered_by: tuple[str, int] | None  # (release version, approval decision id)


@dataclass(frozen=True, slots=True)
class ReleaseView:
    id: int
    product: str
    version: str
    status: str
    released_on: dt.date | None
    components: int
    findings: int
    gate: str  # approved | registered without review [; covered by the review of V] | ""


def get_product(session: Session, name: str) -> m.Product:
    product = session.scalar(select(m.Product).where(m.Product.name == name))
    if product is None:
        raise NotFound(f"product {name!r} does not exist (see 'psirt product list')")
    return product


def get_release(session: Session, product: str, version: str) -> m.Release:
    prod = get_product(session, product)
    release = session.scalar(
        select(m.Release).where(m.Release.product_id == prod.id, m.Release.version == version)
    )
    if release is None:
        raise NotFound(
            f"release {version!r} of product {product!r} does not exist "
            f"(see 'psirt release list --product {product!r}')"
        )
    return release


def add_product(
    session: Session, *, actor: str, name: str, description: str = "", manufacturer: str = ""
) -> m.Product:
    name = name.strip()
    if not name:
        raise UsageError("product name must not be empty")
    if session.scalar(select(m.Product.id).where(m.Product.name == name)) is not None:
        raise Conflict(f"product {name!r} exists already")
    product = m.Product(name=name, description=description, manufacturer=manufacturer)
    session.add(product)
    session.flush()
    audit.record_change(session, actor=actor, action="product.add", obj=product)
    return product


def add_release(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    status: ReleaseStatus = ReleaseStatus.DEVELOPMENT,
    released_on: dt.date | None = None,
) -> m.Release:
    prod = get_product(session, product)
    version = version.strip()
    if not version:
        raise UsageError("release version must not be empty")
    exists = session.scalar(
        select(m.Release.id).where(m.Release.product_id == prod.id, m.Release.version == version)
    )
    if exists is not None:
        raise Conflict(f"release {version!r} of product {product!r} exists already")
    release = m.Release(
        product_id=prod.id, version=version, status=str(status), released_on=released_on
    )
    session.add(release)
    session.flush()
    audit.record_change(session, actor=actor, action="release.add", obj=release)
    if status in RELEASED_STATUSES:
        decision = ReleaseGateDecisionRow(
            release_id=release.id,
            kind="unreviewed",
            status=str(status),
            justification=f"registered as {status} without a release-gate review; the "
            "product's next review must cover it",
            decided_by=actor,
        )
        session.add(decision)
        session.flush()
        audit.record_change(session, actor=actor, action="release_gate.unreviewed",
                            obj=decision, detail={"release": f"{prod.name}@{version}",
                                                  "status": str(status)})  # fmt: skip
    return release


# Entering one of these statuses is a product release: it needs the release gate (R13a).
RELEASED_STATUSES = frozenset({ReleaseStatus.RELEASED, ReleaseStatus.FIELDED})


def set_release_status(
    session: Session,
    *,
    actor: str,
    product: str,
    version: str,
    status: ReleaseStatus,
    released_on: dt.date | None = None,
    gate_override: str | None = None,
) -> m.Release:
    """Move a release to ``status``.

    A release that enters released or fielded from another status needs an approval through the
    release gate (``psirt.services.release_gate.approve_release``) or ``gate_override``: a
    justification, stored as an override decision and in the audit trail. Moving between
    released and fielded, or registering a release as already fielded, is no release approval.
    """
    release = get_release(session, product, version)
    override = (gate_override or "").strip()
    if gate_override is not None and not override:
        raise UsageError("a gate override needs a justification")
    entering = status in RELEASED_STATUSES and release.status not in RELEASED_STATUSES
    if override and not entering:
        raise UsageError(
            f"release {product} {version}: moving from {release.status} to {status} does not "
            "pass the release gate, so there is nothing to override"
        )
    decision: ReleaseGateDecisionRow | None = None
    if entering and override:
        decision = ReleaseGateDecisionRow(
            release_id=release.id,
            kind="override",
            status=str(status),
            justification=override,
            decided_by=actor,
        )
        session.add(decision)
        session.flush()
        audit.record_change(
            session,
            actor=actor,
            action="release_gate.override",
            obj=decision,
            detail={"release": f"{product}@{version}", "status": str(status),
                    "justification": override},
        )  # fmt: skip
    elif entering:
        approved = session.scalar(
            select(ReleaseGateDecisionRow.id)
            .where(
                ReleaseGateDecisionRow.release_id == release.id,
                ReleaseGateDecisionRow.kind == "approval",
            )
            .limit(1)
        )
        if approved is None:
            raise GateNotMet(
                "release approval",
                [
                    f"approved R13a release-gate review of {product} {version} "
                    "('psirt release approve'), or an override with a justification"
                ],
            )
    before = audit.object_digest(release)
    release.status = str(status)
    if released_on is not None:
        release.released_on = released_on
    elif status in RELEASED_STATUSES and release.released_on is None:
        release.released_on = dt.datetime.now(dt.UTC).date()
    detail: dict[str, object] = {"status": str(status)}
    if decision is not None:
        detail["gate_override"] = {"decision": decision.id, "justification": override}
    audit.record_change(
        session,
        actor=actor,
        action="release.status",
        obj=release,
        before=before,
        detail=detail,
    )
    return release


def list_products(session: Session) -> list[ProductView]:
    return [
        ProductView(
            p.id, p.name, p.description, p.manufacturer, tuple(r.version for r in p.releases)
        )
        for p in session.scalars(select(m.Product).order_by(m.Product.name))
    ]


def without_review(session: Session, product_id: int | None = None) -> list[WithoutReview]:
    """The releases of a product (or of every product) put on the market without a
    release-gate review, oldest first, each with the approval that covered it (if any)."""
    q = (
        select(ReleaseGateDecisionRow, m.Release.version)
        .join(m.Release, ReleaseGateDecisionRow.release_id == m.Release.id)
        .order_by(ReleaseGateDecisionRow.id)
    )
    if product_id is not None:
        q = q.where(m.Release.product_id == product_id)
    rows = session.execute(q).all()
    covered: dict[int, tuple[str, int]] = {}
    for d, version in rows:
        if d.kind == "approval":
            for item in (d.covered or {}).get("unreviewed", ()):
                covered.setdefault(int(item["decision"]), (version, d.id))
    return [
        WithoutReview(
            d.release_id,
            version,
            d.id,
            d.kind,
            d.status,
            d.decided_by,
            d.decided_at,
            d.justification,
            covered.get(d.id),
        )  # fmt: skip
        for d, version in rows
        if d.kind in WITHOUT_REVIEW
    ]


def _gate_labels(session: Session) -> dict[int, str]:
    """Release id -> what its gate record says (release listing)."""
    approved = session.scalars(
        select(ReleaseGateDecisionRow.release_id).where(ReleaseGateDecisionRow.kind == "approval")
    )
    out = dict.fromkeys(approved, "approved")
    for w in without_review(session):
        text = "registered without review" if w.kind == "unreviewed" else "gate overridden"
        if w.covered_by is not None:
            text += f"; covered by the review of {w.covered_by[0]}"
        else:
            text += "; not yet covered by a review"
        out[w.release_id] = text
    return out


def list_releases(session: Session, product: str | None = None) -> list[ReleaseView]:
    from sqlalchemy import func

    comp_counts = dict(
        session.execute(
            select(m.Component.release_id, func.count())
            .where(m.Component.retired_by_sbom_id.is_(None))
            .group_by(m.Component.release_id)
        ).all()
    )
    finding_counts = dict(
        session.execute(
            select(m.Finding.release_id, func.count())
            .where(m.Finding.status == "active")
            .group_by(m.Finding.release_id)
        ).all()
    )
    q = select(m.Release, m.Product.name).join(m.Product).order_by(m.Product.name, m.Release.id)
    if product is not None:
        q = q.where(m.Product.id == get_product(session, product).id)
    gates = _gate_labels(session)
    return [
        ReleaseView(
            r.id,
            pname,
            r.version,
            r.status,
            r.released_on,
            int(comp_counts.get(r.id, 0)),
            int(finding_counts.get(r.id, 0)),
            gates.get(r.id, ""),
        )
        for r, pname in session.execute(q).all()
    ]
