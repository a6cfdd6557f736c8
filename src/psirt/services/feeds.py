"""Import vulnerability feeds (OSV, NVD, CVE 5, KEV, EPSS) into the knowledge base.

One call is one transaction: a feed file that cannot be read at all, or that gives not one
valid record, refuses the whole import; a malformed record inside a readable feed is skipped
and reported. Advisories are upserted by id and ``modified``; withdrawn ones are kept (and
never matched). What changed drives continuous monitoring: the releases holding a named package
are re-matched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from psirt.domain.advisory import Advisory, EpssScore, KevEntry
from psirt.domain.codec import advisory_to_json
from psirt.errors import InputError
from psirt.ingest import feeds
from psirt.ingest.feeds import FeedProblem, iter_batches, osv
from psirt.matching.cpe import parse_cpe
from psirt.store import audit
from psirt.store import models as m
from psirt.versions import base_ecosystem, normalize_name


@dataclass
class FeedImportSummary:
    sources: list[str] = field(default_factory=list)
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    kev: int = 0
    epss: int = 0
    problems: list[FeedProblem] = field(default_factory=list)
    changed_ids: set[str] = field(default_factory=set)
    touched_packages: set[tuple[str, str]] = field(default_factory=set)
    new_kev: set[str] = field(default_factory=set)
    snapshot_id: int | None = None
    # ids whose alias groups the changes can alter: changed record ids with their aliases
    # before and after the change (continuous monitoring re-matches these groups only)
    touched_ids: set[str] = field(default_factory=set)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def skipped_reasons(self) -> dict[str, int]:
        return dict(Counter(_reason_class(p.reason) for p in self.problems).most_common())


def _reason_class(reason: str) -> str:
    return reason.split(":", 1)[0][:80]


def _digest_paths(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p).encode())
        if p.is_file():
            with p.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


CPE_ECOSYSTEM = "cpe"


def cpe_key(cpe: str | None) -> str | None:
    """``vendor:product`` of a CPE name, the key NVD applicability is looked up by."""
    if not cpe:
        return None
    try:
        parsed = parse_cpe(cpe, source="cpe")
    except InputError:
        return None
    if parsed.vendor in ("*", "-") or parsed.product in ("*", "-"):
        return None
    return f"{parsed.vendor}:{parsed.product}"


def advisory_packages(advisory: Advisory) -> set[tuple[str, str]]:
    """The (base ecosystem, match name) pairs an advisory names, and ("cpe", vendor:product)
    for every vulnerable CPE it applies to."""
    out: set[tuple[str, str]] = set()
    for conf in advisory.configurations:
        for node in conf.nodes:
            for mt in node.matches:
                key = cpe_key(mt.criteria) if mt.vulnerable else None
                if key:
                    out.add((CPE_ECOSYSTEM, key))
    for pkg in advisory.affected:
        if not pkg.ecosystem or not pkg.name:
            continue
        eco = base_ecosystem(pkg.ecosystem)
        try:
            out.add((eco, normalize_name(pkg.ecosystem, pkg.name)))
        except Exception:  # noqa: BLE001 - unknown ecosystems are kept under the raw name
            out.add((eco, pkg.name))
    return out


def import_feeds(
    session: Session,
    paths: list[Path],
    *,
    actor: str,
    progress: Callable[[int], None] | None = None,
    size: osv.FeedLimits | None = None,
) -> FeedImportSummary:
    summary = FeedImportSummary(sources=[str(p) for p in paths])
    advisories: dict[str, Advisory] = {}
    kev: dict[str, KevEntry] = {}
    epss: dict[str, EpssScore] = {}
    for path in paths:
        records, skipped_before = 0, len(summary.problems)
        for batch in iter_batches(path, size):
            records += batch.records
            for adv in batch.advisories:
                prev = advisories.get(adv.id)
                if prev is None or _newer(adv, prev):
                    advisories[adv.id] = adv
            for k in batch.kev:
                kev[k.cve_id] = k
            for e in batch.epss:
                epss[e.cve_id] = e
            summary.problems.extend(batch.problems)
            if progress is not None:
                progress(1)
        feeds.require_records(str(path), records, summary.problems[skipped_before:])

    snapshot = m.FeedSnapshot(
        kind="+".join(sorted({p.suffix.lstrip(".") or "dir" for p in paths})),
        source=", ".join(summary.sources),
        sha256=_digest_paths(paths),
        imported_by=actor,
        counts={},
    )
    session.add(snapshot)
    session.flush()
    summary.snapshot_id = snapshot.id

    _store_advisories(session, advisories, snapshot.id, summary)
    _store_kev(session, kev, summary)
    _store_epss(session, epss, summary)
    snapshot.counts = {
        "imported": summary.imported,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "withdrawn": summary.withdrawn,
        "kev": summary.kev,
        "epss": summary.epss,
        "skipped": summary.skipped,
    }
    audit.append(
        session,
        actor=actor,
        action="feed.import",
        object_type="feed_snapshot",
        object_id=snapshot.id,
        after=audit.digest({"sha256": snapshot.sha256, "counts": snapshot.counts}),
        detail={"sources": summary.sources, **snapshot.counts},
    )
    return summary


def _newer(a: Advisory, b: Advisory) -> bool:
    if a.modified is None:
        return False
    return b.modified is None or a.modified > b.modified


def _store_advisories(
    session: Session, advisories: dict[str, Advisory], snapshot_id: int, summary: FeedImportSummary
) -> None:
    if not advisories:
        return
    existing: dict[str, dt.datetime | None] = {}
    ids = list(advisories)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        existing.update(
            session.execute(
                select(m.Advisory.id, m.Advisory.modified).where(m.Advisory.id.in_(chunk))
            ).all()
        )
    new_rows: list[dict[str, Any]] = []
    pkg_rows: list[dict[str, str]] = []
    changed: list[str] = []
    for adv_id, adv in advisories.items():
        if adv.withdrawn is not None:
            summary.withdrawn += 1
        row = {
            "id": adv_id,
            "source": adv.source,
            "modified": adv.modified,
            "published": adv.published,
            "withdrawn": adv.withdrawn,
            "summary": adv.summary[:2000],
            "aliases": list(adv.aliases),
            "body": advisory_to_json(adv),
            "snapshot_id": snapshot_id,
        }
        if adv_id in existing:
            old_modified = existing[adv_id]
            if (
                old_modified is not None
                and adv.modified is not None
                and adv.modified <= old_modified
            ):
                summary.unchanged += 1
                continue
            if old_modified is not None and adv.modified is None:
                summary.unchanged += 1
                continue
            changed.append(adv_id)
            summary.updated += 1
        else:
            summary.imported += 1
        new_rows.append(row)
        named = advisory_packages(adv)
        summary.touched_packages.update(named)
        pkg_rows.extend(
            {"advisory_id": adv_id, "ecosystem": eco, "match_name": name}
            for eco, name in sorted(named)
        )
        summary.changed_ids.add(adv_id)
        summary.touched_ids.update((adv_id, *adv.aliases))
    for start in range(0, len(changed), 900):
        chunk = changed[start : start + 900]
        for old_aliases in session.scalars(
            select(m.Advisory.aliases).where(m.Advisory.id.in_(chunk))
        ):
            summary.touched_ids.update(a for a in old_aliases or () if isinstance(a, str))
        summary.touched_packages.update(
            (eco, name)
            for eco, name in session.execute(
                select(m.AdvisoryPackage.ecosystem, m.AdvisoryPackage.match_name).where(
                    m.AdvisoryPackage.advisory_id.in_(chunk)
                )
            )
        )
        session.execute(delete(m.AdvisoryPackage).where(m.AdvisoryPackage.advisory_id.in_(chunk)))
        session.execute(delete(m.Advisory).where(m.Advisory.id.in_(chunk)))
    if new_rows:
        session.execute(insert(m.Advisory), new_rows)
    if pkg_rows:
        session.execute(insert(m.AdvisoryPackage), pkg_rows)


def _store_kev(session: Session, entries: dict[str, KevEntry], summary: FeedImportSummary) -> None:
    if not entries:
        return
    known = set(session.scalars(select(m.KevEntry.cve_id)))
    rows = []
    for cve_id, k in entries.items():
        rows.append(
            {
                "cve_id": cve_id,
                "vendor": k.vendor,
                "product": k.product,
                "name": k.name,
                "date_added": k.date_added,
                "due_date": k.due_date,
                "known_ransomware": k.known_ransomware,
            }
        )
        if cve_id not in known:
            summary.new_kev.add(cve_id)
    session.execute(delete(m.KevEntry).where(m.KevEntry.cve_id.in_(list(entries))))
    session.execute(insert(m.KevEntry), rows)
    summary.kev = len(rows)


def _store_epss(
    session: Session, entries: dict[str, EpssScore], summary: FeedImportSummary
) -> None:
    if not entries:
        return
    ids = list(entries)
    for start in range(0, len(ids), 900):
        session.execute(delete(m.EpssScore).where(m.EpssScore.cve_id.in_(ids[start : start + 900])))
    session.execute(
        insert(m.EpssScore),
        [
            {
                "cve_id": e.cve_id,
                "epss": e.epss,
                "percentile": e.percentile,
                "score_date": e.score_date,
            }
            for e in entries.values()
        ],
    )
    summary.epss = len(entries)
