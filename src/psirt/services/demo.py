"""Load the bundled demo portfolio and run the monitoring job on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from psirt.demo import FEEDS, MANUFACTURER, PORTFOLIO, data_dir
from psirt.services import catalog, feeds, monitoring, sboms
from psirt.services.catalog import ReleaseStatus
from psirt.store import models as m


@dataclass
class DemoOutcome:
    products: int = 0
    releases: int = 0
    sboms: int = 0
    feed_summary: feeds.FeedImportSummary | None = None
    rematch: monitoring.RematchOutcome | None = None
    notes: list[str] = field(default_factory=list)


def load_portfolio(session: Session, *, actor: str) -> DemoOutcome:
    out = DemoOutcome()
    root = data_dir()
    for item in PORTFOLIO:
        product = session.scalar(select(m.Product).where(m.Product.name == item.product))
        if product is None:
            catalog.add_product(
                session,
                actor=actor,
                name=item.product,
                description=item.description,
                manufacturer=MANUFACTURER,
            )
            out.products += 1
        release = session.scalar(
            select(m.Release)
            .join(m.Product)
            .where(m.Product.name == item.product, m.Release.version == item.version)
        )
        if release is None:
            catalog.add_release(
                session,
                actor=actor,
                product=item.product,
                version=item.version,
                status=ReleaseStatus(item.status),
                released_on=dt.date.fromisoformat(item.released_on) if item.released_on else None,
            )
            out.releases += 1
        data, parsed = sboms.read_sbom_file(root / "sbom" / item.sbom)
        result = sboms.import_sbom(
            session,
            actor=actor,
            product=item.product,
            version=item.version,
            data=data,
            parsed=parsed,
            file_name=item.sbom,
        )
        if not result.unchanged:
            out.sboms += 1
    summary = feeds.import_feeds(session, [root / f for f in FEEDS], actor=actor)
    out.feed_summary = summary
    out.rematch = monitoring.after_feed_import(session, summary, actor=actor)
    return out
