"""Findings as psirt hands them out: one JSON shape for ``psirt match``, ``psirt findings list``
and the findings linked to a security issue; the tables show the same values.

A finding's vulnerability part is :func:`finding_json`::

    {"advisory_id", "aliases", "fixed_versions", "severity", "kev", "kev_ids", "epss"}

``severity`` is the CVSS vector or database label as the advisory gives it (tables show it as
``"9.8 CRITICAL"``), ``kev_ids`` the ids the KEV catalogue lists under psirt's one KEV rule
(:func:`psirt.matching.knowledge.kev_listed`: the alias group and the CVEs its advisories name as
related) and ``kev`` whether there is one; ``epss`` is the highest EPSS score of the same ids.

``psirt match`` puts the component first (:func:`match_findings`; :func:`match_report` writes the
same JSON without building one value per finding, for SBOMs of 50,000 components);
``psirt findings list`` adds the stored finding's product, release, status and issue
(:func:`stored_findings`). The store is imported inside :func:`stored_findings` only:
``psirt match`` runs without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import orjson

from psirt.domain.sbom import Component
from psirt.matching.index import MatchResult, Vulnerability
from psirt.matching.knowledge import KnowledgeBase, KnowledgeMatch, kev_listed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_INDENT = orjson.OPT_INDENT_2


def finding_json(
    *,
    advisory_id: str,
    aliases: Sequence[str],
    related: Sequence[str],
    fixed_versions: Sequence[str],
    severity: str | None,
    kev: Collection[str],
    epss: Mapping[str, float],
) -> dict[str, Any]:
    """The vulnerability part of a finding (see the module docstring). ``related`` are the CVE
    ids its advisories list as related; ``kev`` the catalogue, ``epss`` the scores by id."""
    ids = (advisory_id, *aliases, *related)
    listed = kev_listed(ids, kev)
    scores = [epss[i] for i in ids if i in epss]
    return {
        "advisory_id": advisory_id,
        "aliases": list(aliases),
        "fixed_versions": list(fixed_versions),
        "severity": severity,
        "kev": bool(listed),
        "kev_ids": list(listed),
        "epss": max(scores) if scores else None,
    }


def component_json(purl: str | None, name: str, version: str, ecosystem: str) -> dict[str, Any]:
    """The component part of a ``psirt match`` finding."""
    return {"purl": purl, "name": name, "version": version, "ecosystem": ecosystem}


def for_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rows as tables show them: the severity as ``"9.8 CRITICAL"``."""
    from psirt.domain.severity import severity_label

    return [{**r, "severity": severity_label(r["severity"])} for r in rows]


# --------------------------------------------------------------------------- psirt match


def match_findings(kb: KnowledgeBase, result: KnowledgeMatch) -> list[dict[str, Any]]:
    """The findings of a match, component part then vulnerability part, sorted by purl,
    advisory id, name and version: the rows of ``psirt match``."""
    rows = []
    for cf in result.findings:
        f = cf.finding
        rows.append(
            component_json(f.purl or None, f.name, f.version, f.ecosystem)
            | finding_json(
                advisory_id=f.advisory_id,
                aliases=f.aliases,
                related=kb.related_ids(f),
                fixed_versions=f.fixed_versions,
                severity=f.severity.score if f.severity else None,
                kev=kb.kev,
                epss=kb.epss,
            )
        )
    rows.sort(key=lambda r: (r["purl"] or "", r["advisory_id"], r["name"], r["version"]))
    return rows


@dataclass(frozen=True, slots=True)
class MatchReport:
    """``{"components": N, "findings": match_findings(...)}`` as JSON text (indented by 2),
    held as its findings' encoded rows.

    :meth:`chunks` hands the text out in pieces of bounded size (a 50,000-component report
    runs to 100 MB and more) and :attr:`json` joins them.
    """

    components: int
    findings: int
    osv: MatchResult
    cpe_problems: tuple[str, ...]
    rows: Sequence[bytes]  # one encoded finding each, in report order

    def chunks(self, rows_per_chunk: int = 2048) -> Iterator[bytes]:
        """The report text in pieces; their concatenation is :attr:`json`."""
        rows = self.rows
        if not rows:
            yield orjson.dumps({"components": self.components, "findings": []}, option=_INDENT)
            yield b"\n"
            return
        yield b'{\n  "components": %d,\n  "findings": [\n' % self.components
        for start in range(0, len(rows), rows_per_chunk):
            if start:
                yield b",\n"
            yield b",\n".join(rows[start : start + rows_per_chunk])
        yield b"\n  ]\n}\n"

    @property
    def json(self) -> bytes:
        """The whole text, newline included."""
        return b"".join(self.chunks(max(len(self.rows), 1)))


_BY_PURL = attrgetter("purl")
_BY_PURL_NAME_VERSION = attrgetter("purl", "name", "version")


def _head(purl: str | None, name: str, version: str, ecosystem: str) -> bytes:
    """The component part of a finding, indented as one element of the findings list."""
    text = orjson.dumps(component_json(purl, name, version, ecosystem), option=_INDENT)
    return b"    " + text[:-2].replace(b"\n", b"\n    ") + b","


def _tail(fields: dict[str, Any]) -> bytes:
    """The vulnerability part of a finding, closing its object (see :func:`_head`)."""
    return orjson.dumps(fields, option=_INDENT)[1:].replace(b"\n", b"\n    ")


def match_report(kb: KnowledgeBase, components: Sequence[Component]) -> MatchReport:
    """Match and render the JSON of :func:`match_findings` in one pass: each component's
    part and each vulnerability's part are encoded once, findings are joined as bytes."""
    osv = kb.index.match(components)
    cpe, problems = kb.match_cpe(components, osv)
    tails: dict[int, bytes] = {}
    kev, epss = kb.kev, kb.epss

    def tail(v: Vulnerability) -> bytes:
        found = tails.get(id(v))
        if found is None:
            found = tails[id(v)] = _tail(finding_json(
                advisory_id=v.advisory_id, aliases=v.aliases, related=v.related,
                fixed_versions=v.fixed_versions,
                severity=v.severity.score if v.severity else None, kev=kev, epss=epss,
            ))  # fmt: skip
        return found

    rows: list[bytes] = []
    if not cpe:
        ordered = sorted(osv.matches, key=_BY_PURL_NAME_VERSION)
        for _purl, same_purl in groupby(ordered, key=_BY_PURL):
            group = list(same_purl)
            first = group[0]
            name, version = first.name, first.version
            if len(group) == 1 or all(
                cm.name == name and cm.version == version for cm in group
            ):  # one head, each vulnerability's row repeated for every component
                head = _head(first.purl, name, version, first.ecosystem)
                times = len(group)
                for v in first.vulnerabilities:
                    row = head + (tails.get(id(v)) or tail(v))
                    if times == 1:
                        rows.append(row)
                    else:
                        rows.extend([row] * times)
            else:
                keyed = [
                    (v.advisory_id, cm.name, cm.version, i, _head(
                        cm.purl, cm.name, cm.version, cm.ecosystem) + tail(v))
                    for i, cm in enumerate(group)
                    for v in cm.vulnerabilities
                ]  # fmt: skip
                keyed.sort(key=lambda r: r[:4])
                rows.extend(r[4] for r in keyed)
    else:
        everything: list[tuple[str, str, str, str, int, bytes]] = []
        n = 0
        for cm in osv.matches:
            head = _head(cm.purl, cm.name, cm.version, cm.ecosystem)
            for v in cm.vulnerabilities:
                everything.append((cm.purl, v.advisory_id, cm.name, cm.version, n, head + tail(v)))
                n += 1
        for cf in cpe:
            f = cf.finding
            row = _head(f.purl or None, f.name, f.version, f.ecosystem) + _tail(finding_json(
                advisory_id=f.advisory_id, aliases=f.aliases, related=f.related,
                fixed_versions=f.fixed_versions,
                severity=f.severity.score if f.severity else None, kev=kev, epss=epss,
            ))  # fmt: skip
            everything.append((f.purl, f.advisory_id, f.name, f.version, n, row))
            n += 1
        everything.sort(key=lambda r: r[:5])
        rows = [r[5] for r in everything]
    return MatchReport(len(components), len(rows), osv, problems, rows)


# --------------------------------------------------------------------------- stored findings


def stored_findings(
    session: Session,
    *,
    product: str | None = None,
    release: str | None = None,
    include_retracted: bool = False,
    kev_only: bool = False,
    issue_id: int | None = None,
) -> list[dict[str, Any]]:
    """Findings of stored releases (``psirt findings list``): ``id``, ``product``,
    ``release``, ``component``, ``version``, ``purl``, ``cpe``, the vulnerability part of
    :func:`finding_json`, ``status``, ``retracted_reason``, ``retracted_cause`` (``sbom:<id>``,
    ``feed:<snapshot>``), ``first_seen``, ``issue`` and ``supplier`` (what current supplier
    advisories and VEX say about it).

    Sorted by product and release, KEV-listed first, then component and advisory id.
    ``issue_id``: only the findings linked to that security issue.
    """
    from sqlalchemy import select

    from psirt.services import scanning, supplier_advisories
    from psirt.services.catalog import get_product, get_release
    from psirt.store import models as m

    q = (
        select(m.Finding, m.Component, m.Release, m.Product)
        .join(m.Component, m.Finding.component_id == m.Component.id)
        .join(m.Release, m.Finding.release_id == m.Release.id)
        .join(m.Product, m.Release.product_id == m.Product.id)
    )
    if product is not None and release is not None:
        q = q.where(m.Release.id == get_release(session, product, release).id)
    elif product is not None:
        q = q.where(m.Product.id == get_product(session, product).id)
    if issue_id is not None:
        q = q.where(m.Finding.issue_id == issue_id)
    if not include_retracted:
        q = q.where(m.Finding.status == "active")
    kev = scanning.kev_ids(session)
    epss = scanning.epss_scores(session)
    rows = []
    found = session.execute(q.order_by(m.Finding.id)).all()
    supplier = supplier_advisories.supplier_status_of_findings(
        session, [(f.id, r.id, c, {f.advisory_id, *f.aliases, *f.related}) for f, c, r, _p in found]
    )
    for f, c, r, p in found:
        fields = finding_json(
            advisory_id=f.advisory_id,
            aliases=f.aliases or (),
            related=f.related or (),
            fixed_versions=f.fixed_versions or (),
            severity=f.severity,
            kev=kev,
            epss=epss,
        )
        if kev_only and not fields["kev"]:
            continue
        rows.append(
            {
                "id": f.id,
                "product": p.name,
                "release": r.version,
                "component": c.name,
                "version": c.version,
                "purl": c.purl,
                "cpe": c.cpe,
                **fields,
                "status": f.status,
                "retracted_reason": f.retracted_reason,
                "retracted_cause": f.retracted_cause,
                "first_seen": f.first_seen,
                "issue": f.issue_id,
                "supplier": supplier.get(f.id, []),
            }
        )
    rows.sort(
        key=lambda x: (x["product"], x["release"], not x["kev"], x["component"], x["advisory_id"])
    )
    return rows
