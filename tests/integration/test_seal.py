"""Every evidence table is sealed in the audit chain: a row edited, deleted or added behind
psirt's back is caught by ``audit verify`` (SQLite and PostgreSQL), and so is a chain whose
tail was cut off, against a head exported before.

The store is the demo portfolio plus what the demo does not write (support settings, EPSS,
release-gate records), built once per backend; each tampering runs inside a transaction that
is rolled back after verifying, so every case starts from the same intact store.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from psirt.domain.policy import load_policy
from psirt.domain.sbom import ItemClass
from psirt.services import catalog, demo, feeds, sboms
from psirt.services import release_gate as gate
from psirt.services.catalog import ReleaseStatus
from psirt.store import audit, seal
from psirt.store import models as m
from psirt.store.db import Store, migrate
from tests.conftest import ASSETS
from tests.integration.conftest import _fresh_pg

PM8 = "Patient Monitor PM-8"


def _populate(store: Store) -> None:
    with store.unit_of_work() as s:
        demo.load_portfolio(s, actor="demo")
    with store.unit_of_work() as s:
        sboms.set_support(
            s,
            actor="sara",
            product="Clinical Data Gateway",
            version="3.1.0",
            component="jinja2",
            item_class=ItemClass.MAINTAINED,
            support_end=dt.date(2027, 12, 31),
        )
    with store.unit_of_work() as s:
        feeds.import_feeds(s, [ASSETS / "feeds" / "epss" / "epss_scores-2024-03-05.csv"],
                           actor="sam")  # fmt: skip
    with store.unit_of_work() as s:
        catalog.add_release(s, actor="dana", product=PM8, version="7.4.3")
        catalog.set_release_status(
            s,
            actor="dana",
            product=PM8,
            version="7.4.3",
            status=ReleaseStatus.FIELDED,
            gate_override="field emergency: shipped under the recall procedure",
        )
    _, review = gate.read_review_file(
        ASSETS / "release_gate" / "review-pm8-7.4.2.toml", product=PM8, version="7.4.2"
    )
    with store.unit_of_work() as s:
        gate.record_review(
            s, actor="dana", product=PM8, version="7.4.2", review=review, policy=load_policy()
        )
    _populate_supplier_advisories(store)
    _populate_publications(store)


def _populate_publications(store: Store) -> None:
    """The draft advisory of the demo's issue and an OpenVEX of its release."""
    from psirt.domain.publisher import Publisher
    from psirt.services import publications

    who = Publisher("Meridian Medical Systems PSIRT", "https://psirt.meridian-medical.example")
    with store.unit_of_work() as s:
        publications.publish_advisory(s, 1, status=publications.CsafStatus.DRAFT, actor="cora",
                                      policy=load_policy(), publisher=who)  # fmt: skip
        publications.publish_vex(s, PM8, "7.4.2", publications.VexFormat.OPENVEX, actor="cora",
                                 policy=load_policy(), publisher=who)  # fmt: skip


def _populate_supplier_advisories(store: Store) -> None:
    """A supplier VEX applied to a release, one proposed not-affected assessment confirmed."""
    from psirt.ingest.sbom import read_sbom_file
    from psirt.services import supplier_advisories as advisories

    sbom = ASSETS / "advisories" / "monitor-1.0.cdx.json"
    data, parsed = read_sbom_file(sbom)
    with store.unit_of_work() as s:
        catalog.add_product(s, actor="dana", name="Central Monitor CM-1")
        catalog.add_release(s, actor="dana", product="Central Monitor CM-1", version="1.0")
        sboms.import_sbom(s, actor="dana", product="Central Monitor CM-1", version="1.0",
                          data=data, parsed=parsed, file_name=str(sbom))  # fmt: skip
    docs, _ = advisories.read_paths([ASSETS / "advisories" / "openvex-go-vex-v0.2.0.json"])
    with store.unit_of_work() as s:
        advisories.import_documents(s, docs, actor="sam")
    with store.unit_of_work() as s:
        views = advisories.release_statements(s, product="Central Monitor CM-1", version="1.0")
        proposed = next(v for v in views if v.assessment.state == "proposed")
        advisories.decide(
            s,
            actor="sara",
            match_id=proposed.match_id,
            decision=advisories.Decision.CONFIRMED,
            rationale="the X9.42 DH code is not built into this image",
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sealed_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('seal') / 'psirt.db'}"
        store = Store(url)
        migrate(store.engine)
    else:
        store = _fresh_pg(request.getfixturevalue("pg_database_module"))
    _populate(store)
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def pg_database_module(pg_database: str) -> str:
    return pg_database


def _table(name: str) -> Table:
    return typing.cast(Table, m.Base.metadata.tables[name])


def _problems(s: Session) -> list[tuple[str, str]]:
    return [(p.object, p.reason) for p in audit.verify(s).problems]


def _first_row(s: Session, name: str) -> dict[str, typing.Any]:
    t = _table(name)
    (pk,) = t.primary_key.columns
    row = s.execute(select(t).order_by(pk.desc()).limit(1)).mappings().first()
    assert row is not None, f"the test store has no row in {name}"
    return dict(row)


def _edit_sql(s: Session, name: str, row: dict[str, typing.Any]) -> None:
    """Change one column of ``row`` the way someone with database access would."""
    t = _table(name)
    (pk,) = t.primary_key.columns
    for col in t.columns:
        if col.primary_key or col.foreign_keys or col.name == SEAL_PART.get(name):
            continue
        py = col.type.python_type if not isinstance(col.type, m.UTCDateTime) else dt.datetime
        value = row[col.name]
        if py is str and value is not None:
            new: typing.Any = value[:-1] + ("y" if value.endswith("x") else "x")
        elif py is int and value is not None and not isinstance(value, bool):
            new = value + 1
        elif py is float and value is not None:
            new = value / 2 + 0.001
        elif py is bool:
            new = not value
        else:
            continue
        s.execute(t.update().where(pk == row[pk.name]).values({col.name: new}))
        return
    raise AssertionError(f"no column of {name} to edit")


SEAL_PART = {k: v for k, v in seal.SEALED.items() if v}


def test_every_table_is_sealed_or_named_as_not_evidence() -> None:
    assert set(m.Base.metadata.tables) == set(seal.SEALED) | seal.NOT_SEALED


def test_the_populated_store_verifies(sealed_store: Store) -> None:
    with sealed_store.reader() as s:
        assert _problems(s) == []
        empty = [
            n for n in seal.SEALED if not s.scalar(select(func.count()).select_from(_table(n)))
        ]
        assert empty == []


@pytest.mark.parametrize("name", sorted(seal.SEALED))
def test_an_edited_row_is_caught(sealed_store: Store, name: str) -> None:
    with sealed_store.reader() as s:
        row = _first_row(s, name)
        _edit_sql(s, name, row)  # a reader: psirt seals nothing here
        problems = _problems(s)
    part = seal.label(name, seal.part_of(name, row))
    assert any(obj == part and "differ" in why for obj, why in problems), problems


@pytest.mark.parametrize("name", sorted(seal.SEALED))
def test_a_deleted_row_is_caught(sealed_store: Store, name: str) -> None:
    with sealed_store.reader() as s:
        row = _first_row(s, name)
        # rows that others point at can go too: foreign keys are not checked before the
        # transaction ends (it is rolled back)
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("PRAGMA defer_foreign_keys=ON"))
        else:
            s.execute(text("SET LOCAL session_replication_role = replica"))
        t = _table(name)
        (pk,) = t.primary_key.columns
        s.execute(t.delete().where(pk == row[pk.name]))
        problems = _problems(s)
    part = seal.label(name, seal.part_of(name, row))
    assert any(obj == part and "missing" in why for obj, why in problems), problems
