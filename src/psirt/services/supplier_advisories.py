"""Supplier advisories and VEX documents: import them as evidence, apply their statements to
the components of stored releases, let a person confirm or reject a supplier's not-affected.

An import is one transaction for every document given. Each document is kept whole (bytes,
sha256, who imported it, when); a document whose bytes are already stored changes nothing.
CSAF documents are validated first (:mod:`psirt.publish.csaf_validate`): a schema error, or
a failed mandatory test that makes the statements ambiguous (:data:`REFUSING_TESTS`: product
or group ids missing, defined twice or circular, contradicting product status), refuses the
document with the file and JSON path; other failed tests are kept with the document as
problems.

Revisions of one document (same :attr:`~psirt.domain.vex.SupplierDocument.identity`, for
CSAF the publisher namespace and tracking id) supersede each other by their version: only the
newest revision's statements are current; older ones stay, with their matches and decisions.

The statements of the current revision are applied to the current components of every stored
release (``components.retired_by_sbom_id IS NULL``) by purl, CPE and, for CSAF product trees,
product name and version (:mod:`psirt.matching.supplier`). A match of a ``not_affected``
statement is a *proposed* not-affected assessment: it takes effect only when a person confirms
it (:func:`decide`), and a rejection is recorded the same way, attributed and audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psirt.domain.csaf import SCHEMA_TEST
from psirt.domain.vex import SupplierDocument, VexFormat, VexStatus, revision_key
from psirt.errors import Conflict, InputError, NotFound, UnknownFormat, UsageError
from psirt.ingest import limits
from psirt.ingest._json import load_json
from psirt.ingest.vex import PARSERS, detect_json
from psirt.matching.supplier import ComponentFacts, ComponentIndex
from psirt.services.catalog import get_release
from psirt.store import audit
from psirt.store import models as m
from psirt.store.models_advisories import (
    SupplierAssessmentDecisionRow,
    SupplierDocumentRow,
    SupplierMatchRow,
    SupplierStatementRow,
)

MAX_BYTES = limits.resolve_default(limits.InputKind.ADVISORY)
# Failed mandatory tests after which a CSAF document's statements cannot be read reliably.
REFUSING_TESTS = frozenset({SCHEMA_TEST, "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.1.5", "6.1.6"})


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """A supplier document read from a file, before anything is stored."""

    source: str
    data: bytes
    document: SupplierDocument
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    reason: str


def _files(paths: Iterable[Path]) -> Iterable[tuple[Path, bool]]:
    """Each file to read and whether it was named (True) or found in a directory."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.json")):
                if found.is_file():
                    yield found, False
        elif path.is_file():
            yield path, True
        else:
            raise InputError(str(path), None, "no such file or directory")


def read_document(data: bytes, *, source: str) -> ReadDocument:
    """Detect, validate (CSAF) and parse one document; ``InputError`` naming the file and
    JSON path when it cannot be taken in."""
    limits.SizeLimit(limits.InputKind.ADVISORY, MAX_BYTES).check(data, source)
    doc = load_json(data, source)
    fmt = detect_json(doc, source)
    problems: list[str] = []
    if fmt is VexFormat.CSAF:
        from psirt.publish.csaf_validate import validate_document

        result = validate_document(doc, source=source)
        refusing = [p for p in result.problems if p.test in REFUSING_TESTS]
        if refusing:
            first = refusing[0]
            more = f" (and {len(refusing) - 1} more)" if len(refusing) > 1 else ""
            test = "JSON schema" if first.test == SCHEMA_TEST else f"CSAF test {first.test}"
            raise InputError(source, first.path, f"{test}: {first.message}{more}")
        problems += [f"{p.test} {p.path}: {p.message}" for p in result.problems]
    document = PARSERS[fmt](data, source=source)
    return ReadDocument(source, data, document, tuple(problems) + document.problems)


def read_paths(
    paths: Sequence[Path], *, limit: limits.SizeLimit | None = None
) -> tuple[list[ReadDocument], list[Skipped]]:
    """Read every named file and every ``*.json`` below named directories. A file found in a
    directory that is no supplier document is skipped with the reason; a named one, or a
    supplier document that cannot be read, is an ``InputError``."""
    docs: list[ReadDocument] = []
    skipped: list[Skipped] = []
    limit = limit or limits.resolve(limits.InputKind.ADVISORY)
    for path, named in _files(paths):
        data = limits.read_file(path, limit)
        try:
            docs.append(read_document(data, source=str(path)))
        except UnknownFormat as exc:
            if named:
                raise
            skipped.append(Skipped(str(path), exc.reason))
    return docs, skipped


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    source: str
    document_id: int
    format: str
    identity: str
    version: str
    statements: int
    matches: int = 0
    proposed: int = 0
    unchanged: bool = False
    supersedes: int | None = None  # the revision this one replaced as current
    superseded_by: int | None = None  # a newer revision already stored
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "document_id": self.document_id,
            "format": self.format,
            "identity": self.identity,
            "version": self.version,
            "statements": self.statements,
            "matches": self.matches,
            "proposed_not_affected": self.proposed,
            "unchanged": self.unchanged,
            "supersedes": self.supersedes,
            "superseded_by": self.superseded_by,
            "problems": list(self.problems),
        }


def _current_components(session: Session) -> ComponentIndex:
    c = m.Component
    rows = session.execute(
        select(c.id, c.release_id, c.name, c.version, c.purl, c.cpe, c.supplier).where(
            c.retired_by_sbom_id.is_(None)
        )
    ).all()
    return ComponentIndex(ComponentFacts(*row) for row in rows)


def _current_of(session: Session, identity: str) -> SupplierDocumentRow | None:
    """The current revision of a document: the highest version, the latest import among
    equal versions."""
    revisions = list(
        session.scalars(select(SupplierDocumentRow).where(SupplierDocumentRow.identity == identity))
    )
    if not revisions:
        return None
    return max(revisions, key=lambda d: (revision_key(VexFormat(d.format), d.version), d.id))


def _apply(
    session: Session,
    *,
    actor: str,
    doc: SupplierDocumentRow,
    index: ComponentIndex,
    already: set[tuple[int, int]] | None = None,
) -> tuple[int, int]:
    """Match the document's statements to current components; (matches, proposed)."""
    by_name = doc.format == VexFormat.CSAF.value
    from psirt.domain.vex import ProductRef

    now = dt.datetime.now(dt.UTC)
    rows: list[SupplierMatchRow] = []
    proposed = 0
    for st in session.scalars(
        select(SupplierStatementRow)
        .where(SupplierStatementRow.document_id == doc.id)
        .order_by(SupplierStatementRow.id)
    ):
        ref = ProductRef.from_dict(st.product)
        for component, method in index.matches(ref, by_name=by_name):
            if already is not None and (st.id, component.id) in already:
                continue
            rows.append(
                SupplierMatchRow(
                    statement_id=st.id,
                    release_id=component.release_id,
                    component_id=component.id,
                    method=method,
                    matched_by=actor,
                    matched_at=now,
                )
            )
            proposed += st.status == VexStatus.NOT_AFFECTED.value
    session.add_all(rows)
    session.flush()
    return len(rows), proposed


def import_documents(
    session: Session, docs: Sequence[ReadDocument], *, actor: str
) -> list[ImportOutcome]:
    """Store each document (unless its bytes are stored already) and apply the statements of
    each new current revision to the current components of every stored release."""
    index: ComponentIndex | None = None
    outcomes: list[ImportOutcome] = []
    for rd in docs:
        d = rd.document
        sha = hashlib.sha256(rd.data).hexdigest()
        existing = session.scalar(
            select(SupplierDocumentRow).where(SupplierDocumentRow.sha256 == sha).limit(1)
        )
        if existing is not None:
            outcomes.append(
                ImportOutcome(
                    rd.source,
                    existing.id,
                    existing.format,
                    existing.identity,
                    existing.version,
                    existing.statements,
                    unchanged=True,
                )
            )
            continue
        previous = _current_of(session, d.identity)
        row = SupplierDocumentRow(
            format=d.format.value,
            spec_version=d.spec_version,
            profile=d.profile,
            identity=d.identity,
            tracking_id=d.tracking_id,
            version=d.version,
            publisher=d.publisher,
            title=d.title,
            issued=d.issued,
            updated=d.updated,
            file_name=Path(rd.source).name,
            sha256=sha,
            content=rd.data,
            statements=len(d.statements),
            problems=list(rd.problems),
            imported_by=actor,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        session.add_all(
            SupplierStatementRow(
                document_id=row.id,
                vulnerability_id=s.vulnerability,
                aliases=list(s.aliases),
                status=s.status.value,
                supplier_status=s.supplier_status,
                product=s.product.to_dict(),
                justification=s.justification,
                impact=s.impact,
                action=s.action,
                path=s.path,
            )
            for s in d.statements
        )
        session.flush()
        current = _current_of(session, d.identity)
        assert current is not None
        matches = proposed = 0
        superseded_by = None
        if current.id == row.id:
            if index is None:
                index = _current_components(session)
            matches, proposed = _apply(session, actor=actor, doc=row, index=index)
        else:
            superseded_by = current.id
        supersedes = previous.id if previous is not None and current.id == row.id else None
        outcome = ImportOutcome(
            rd.source,
            row.id,
            row.format,
            row.identity,
            row.version,
            row.statements,
            matches,
            proposed,
            False,
            supersedes,
            superseded_by,
            rd.problems,
        )
        audit.append(
            session,
            actor=actor,
            action="supplier_advisory.import",
            object_type="supplier_document",
            object_id=row.id,
            detail={
                "file": row.file_name,
                "sha256": sha,
                "format": row.format,
                "identity": row.identity,
                "version": row.version,
                "statements": row.statements,
                "matches": matches,
                "proposed_not_affected": proposed,
                "supersedes": supersedes,
                "superseded_by": superseded_by,
                "problems": len(rd.problems),
            },
        )
        outcomes.append(outcome)
    return outcomes


def apply_current(session: Session, *, actor: str) -> tuple[int, int]:
    """Apply the statements of every current revision to the current components they do not
    meet yet (after a new SBOM or release); (matches, proposed)."""
    index = _current_components(session)
    already = set(
        session.execute(select(SupplierMatchRow.statement_id, SupplierMatchRow.component_id)).all()
    )
    pairs = {(s, c) for s, c in already}
    total = proposed = 0
    for identity in session.scalars(select(SupplierDocumentRow.identity).distinct()):
        doc = _current_of(session, identity)
        assert doc is not None
        n, p = _apply(session, actor=actor, doc=doc, index=index, already=pairs)
        total += n
        proposed += p
    if total:
        audit.append(
            session,
            actor=actor,
            action="supplier_advisory.apply",
            object_type="store",
            object_id="supplier_matches",
            detail={"matches": total, "proposed_not_affected": proposed},
        )
    return total, proposed


# --- reading -----------------------------------------------------------------------------


def _current_ids(session: Session) -> set[int]:
    docs = session.execute(
        select(
            SupplierDocumentRow.id,
            SupplierDocumentRow.identity,
            SupplierDocumentRow.format,
            SupplierDocumentRow.version,
        )
    ).all()
    best: dict[str, tuple[tuple[int, ...], int]] = {}
    for doc_id, identity, fmt, version in docs:
        key = (revision_key(VexFormat(fmt), version), doc_id)
        if identity not in best or key > best[identity]:
            best[identity] = key
    return {doc_id for _key, doc_id in best.values()}


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: int
    format: str
    profile: str
    tracking_id: str
    version: str
    publisher: str
    title: str
    file_name: str
    sha256: str
    statements: int
    matches: int
    current: bool
    problems: tuple[str, ...]
    imported_by: str
    imported_at: dt.datetime


def list_documents(session: Session, *, include_superseded: bool = True) -> list[DocumentView]:
    current = _current_ids(session)
    counts = dict(
        session.execute(
            select(SupplierStatementRow.document_id, func.count(SupplierMatchRow.id))
            .join(SupplierMatchRow, SupplierMatchRow.statement_id == SupplierStatementRow.id)
            .group_by(SupplierStatementRow.document_id)
        ).all()
    )
    out = []
    for d in session.scalars(select(SupplierDocumentRow).order_by(SupplierDocumentRow.id)):
        if not include_superseded and d.id not in current:
            continue
        out.append(
            DocumentView(
                d.id,
                d.format,
                d.profile,
                d.tracking_id,
                d.version,
                d.publisher,
                d.title,
                d.file_name,
                d.sha256,
                d.statements,
                int(counts.get(d.id, 0)),
                d.id in current,
                tuple(d.problems),
                d.imported_by,
                d.imported_at,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class AssessmentState:
    state: str  # proposed | confirmed | rejected | "" (not a not-affected statement)
    by: str | None = None
    at: dt.datetime | None = None
    rationale: str | None = None


def _decisions(session: Session, match_ids: Iterable[int]) -> dict[int, AssessmentState]:
    ids = list(match_ids)
    out: dict[int, AssessmentState] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for d in session.scalars(
            select(SupplierAssessmentDecisionRow)
            .where(SupplierAssessmentDecisionRow.match_id.in_(chunk))
            .order_by(SupplierAssessmentDecisionRow.id)
        ):
            out[d.match_id] = AssessmentState(d.decision, d.decided_by, d.decided_at, d.rationale)
    return out


def _component_key(c: m.Component) -> tuple[str, str, str, str]:
    return (c.name, c.version or "", c.purl or "", c.cpe or "")


@dataclass(frozen=True, slots=True)
class StatementView:
    match_id: int
    product: str
    release: str
    component: str
    component_version: str
    purl: str | None
    vulnerability: str
    aliases: tuple[str, ...]
    status: str
    supplier_status: str
    justification: str | None
    impact: str | None
    action: str | None
    assessment: AssessmentState
    method: str
    document_id: int
    document: str
    document_version: str
    current: bool
    findings: tuple[int, ...] = field(default=())


def release_statements(
    session: Session,
    *,
    product: str,
    version: str,
    include_superseded: bool = False,
    status: VexStatus | None = None,
) -> list[StatementView]:
    """The supplier statements applied to a release's components, with the active findings
    they concern (same component, a vulnerability id or alias in common)."""
    release = get_release(session, product, version)
    current = _current_ids(session)
    q = (
        select(SupplierMatchRow, SupplierStatementRow, SupplierDocumentRow, m.Component)
        .join(SupplierStatementRow, SupplierMatchRow.statement_id == SupplierStatementRow.id)
        .join(SupplierDocumentRow, SupplierStatementRow.document_id == SupplierDocumentRow.id)
        .join(m.Component, SupplierMatchRow.component_id == m.Component.id)
        .where(SupplierMatchRow.release_id == release.id)
        .order_by(SupplierMatchRow.id)
    )
    if status is not None:
        q = q.where(SupplierStatementRow.status == status.value)
    rows = [r for r in session.execute(q).all() if include_superseded or r[2].id in current]
    decisions = _decisions(session, [r[0].id for r in rows])
    findings = _release_findings(session, release.id)
    out = []
    for match, st, doc, comp in rows:
        ids = {st.vulnerability_id, *st.aliases}
        concerned = tuple(fid for fid, fids in findings.get(_component_key(comp), ()) if fids & ids)
        not_affected = st.status == VexStatus.NOT_AFFECTED.value
        out.append(
            StatementView(
                match.id,
                product,
                version,
                comp.name,
                comp.version,
                comp.purl,
                st.vulnerability_id,
                tuple(st.aliases),
                st.status,
                st.supplier_status,
                st.justification,
                st.impact,
                st.action,
                decisions.get(match.id, AssessmentState("proposed" if not_affected else "")),
                match.method,
                doc.id,
                doc.tracking_id or doc.title,
                doc.version,
                doc.id in current,
                concerned,
            )
        )
    return out


def _release_findings(
    session: Session, release_id: int
) -> dict[tuple[str, str, str, str], list[tuple[int, set[str]]]]:
    out: dict[tuple[str, str, str, str], list[tuple[int, set[str]]]] = {}
    for f, c in session.execute(
        select(m.Finding, m.Component)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .where(m.Finding.release_id == release_id, m.Finding.status == "active")
    ).all():
        ids = {f.advisory_id, *f.aliases, *f.related}
        out.setdefault(_component_key(c), []).append((f.id, ids))
    return out


def supplier_status_of_findings(
    session: Session, findings: Sequence[tuple[int, int, m.Component, set[str]]]
) -> dict[int, list[str]]:
    """For (finding id, release id, component, vulnerability ids) of findings: the current
    supplier statements about the same component and vulnerability, as
    ``not_affected (proposed)``, ``not_affected (confirmed)``, ``fixed`` ..."""
    if not findings:
        return {}
    releases = {rid for _f, rid, _c, _ids in findings}
    current = _current_ids(session)
    by_key: dict[tuple[int, tuple[str, str, str, str]], list[tuple[int, str, set[str]]]] = {}
    for start_rel in _chunks(sorted(releases)):
        for match, st, comp in session.execute(
            select(SupplierMatchRow, SupplierStatementRow, m.Component)
            .join(SupplierStatementRow, SupplierMatchRow.statement_id == SupplierStatementRow.id)
            .join(m.Component, SupplierMatchRow.component_id == m.Component.id)
            .where(SupplierMatchRow.release_id.in_(start_rel))
        ).all():
            if st.document_id not in current:
                continue
            key = (match.release_id, _component_key(comp))
            by_key.setdefault(key, []).append(
                (match.id, st.status, {st.vulnerability_id, *st.aliases})
            )
    decisions = _decisions(
        session, [mid for entries in by_key.values() for mid, _s, _ids in entries]
    )
    out: dict[int, list[str]] = {}
    for fid, rid, comp, ids in findings:
        labels = []
        for mid, status, sids in by_key.get((rid, _component_key(comp)), ()):
            if not sids & ids:
                continue
            if status == VexStatus.NOT_AFFECTED.value:
                state = decisions.get(mid, AssessmentState("proposed")).state
                labels.append(f"{status} ({state})")
            else:
                labels.append(status)
        if labels:
            out[fid] = sorted(set(labels))
    return out


def _chunks(values: list[int], size: int = 900) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- decisions ---------------------------------------------------------------------------


def decide(
    session: Session, *, actor: str, match_id: int, decision: Decision, rationale: str
) -> SupplierAssessmentDecisionRow:
    """Confirm or reject a proposed not-affected assessment (a match of a supplier's
    ``not_affected`` statement to a component). Appended, attributed and audited; a later
    decision on the same assessment takes its place without removing it."""
    rationale = rationale.strip()
    if not rationale:
        raise UsageError("a decision on a supplier's not-affected statement needs a rationale")
    match = session.get(SupplierMatchRow, match_id)
    if match is None:
        raise NotFound(
            f"supplier statement match {match_id} does not exist "
            "(see 'psirt advisories statements --product P --release V')"
        )
    st = session.get(SupplierStatementRow, match.statement_id)
    assert st is not None
    if st.status != VexStatus.NOT_AFFECTED.value:
        raise UsageError(
            f"match {match_id} is a supplier's {st.status} statement; only not-affected "
            "statements are proposed assessments to confirm or reject"
        )
    if st.document_id not in _current_ids(session):
        raise Conflict(
            f"match {match_id} belongs to a superseded revision of its supplier document; "
            "decide on the current revision's statement"
        )
    row = SupplierAssessmentDecisionRow(
        match_id=match.id,
        release_id=match.release_id,
        decision=decision.value,
        rationale=rationale,
        decided_by=actor,
        decided_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=f"supplier_assessment.{'confirm' if decision is Decision.CONFIRMED else 'reject'}",
        object_type="supplier_match",
        object_id=match.id,
        detail={
            "decision": decision.value,
            "rationale": rationale,
            "release_id": match.release_id,
            "component_id": match.component_id,
            "vulnerability": st.vulnerability_id,
            "justification": st.justification,
            "document_id": st.document_id,
        },
    )
    return row
