"""OSV records (schema 1.x, https://ossf.github.io/osv-schema/) as JSON or YAML.

A document is one record, or a JSON/YAML list of records. ``read_path`` walks a file, a
directory tree (``*.json``, ``*.yaml``, ``*.yml``) or a zip archive laid out like osv.dev's
``all.zip`` or a repository snapshot, yielding one :class:`FeedBatch` per member file.

What is read, per the schema: ``id`` (required), ``modified``, ``published``, ``withdrawn``
(RFC 3339, with or without fractional seconds), ``aliases``, ``related``, ``summary``,
``details``, ``severity[]`` (type + score), ``references[].url``, and ``affected[]`` with
``package.{ecosystem,name,purl}``, per-package ``severity``, ``ranges[]`` and ``versions[]``.
``database_specific`` and ``ecosystem_specific`` are ignored, except the advisory-level
``database_specific.severity`` string (GitHub's "HIGH" ...), kept as ``database_severity``.

A record is skipped and reported (never guessed at) when: ``id`` is missing or empty; a field
has the wrong JSON type; a timestamp is not RFC 3339; a range has an unknown ``type``, no
``events``, no ``introduced`` event, an event with zero or several of
introduced/fixed/last_affected/limit, both ``fixed`` and ``last_affected``, ``limit`` outside a
GIT range, or a GIT range without ``repo``; ``package`` lacks ``ecosystem`` or ``name``.
A missing ``modified`` is accepted (the advisory is kept with ``modified=None``): losing an
advisory over its bookkeeping timestamp would be worse for monitoring than keeping it.
Full-length commit hashes in GIT events are not enforced.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from psirt.domain.advisory import (
    Advisory,
    AffectedPackage,
    RangeEvent,
    RangeType,
    VersionRange,
)
from psirt.errors import InputError, LimitExceeded
from psirt.ingest import limits
from psirt.ingest._json import load_json, type_name
from psirt.ingest.feeds import FeedBatch, FeedFormat, FeedProblem
from psirt.ingest.feeds._common import (
    RecordError,
    as_list,
    as_object,
    join,
    load_yaml,
    looks_like_json,
    opt_list,
    opt_str,
    opt_timestamp,
    req_str,
    str_list,
)

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
SUFFIXES = (".json", ".yaml", ".yml")

# Zip safety limits: checked on the central directory before any member is read, and again
# while reading (a member may not inflate beyond its limit whatever its header says). The
# member and total sizes are configurable (psirt.ingest.limits); the member count is not.
MAX_MEMBERS = 500_000
_DRIVE = re.compile(r"[A-Za-z]:")


def parse(data: bytes, *, source: str) -> FeedBatch:
    """Parse one OSV document: a record, or a list of records."""
    doc = _decode(data, source)
    if isinstance(doc, list):
        records = [(f"[{i}]", item) for i, item in enumerate(doc)]
    elif isinstance(doc, dict):
        records = [("", doc)]
    else:
        raise InputError(
            source, None, f"expected an OSV record or a list of them, got {type_name(doc)}"
        )
    advisories: list[Advisory] = []
    problems: list[FeedProblem] = []
    for location, item in records:
        record_id = _record_id(item)
        try:
            advisories.append(parse_record(item, location))
        except RecordError as exc:
            problems.append(FeedProblem(source, record_id, exc.location, exc.reason))
    return FeedBatch(
        source=source,
        format=FeedFormat.OSV,
        advisories=tuple(advisories),
        problems=tuple(problems),
    )


def _decode(data: bytes, source: str) -> Any:
    lower = source.lower()
    if lower.endswith((".yaml", ".yml")) or not looks_like_json(data):
        return load_yaml(data, source)
    return load_json(data, source)


def _record_id(item: object) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str) and value.strip():
            return value
    return None


def parse_record(value: object, location: str = "") -> Advisory:
    """One OSV record; raises :class:`RecordError` for the first malformed field."""
    rec = as_object(value, location or "record")
    record_id = req_str(rec, "id", location)
    severity = _severity(rec, location)
    affected = tuple(
        _affected(item, join(join(location, "affected"), i))
        for i, item in enumerate(opt_list(rec, "affected", location))
    )
    references: list[str] = []
    for i, ref in enumerate(opt_list(rec, "references", location)):
        ref_obj = as_object(ref, join(join(location, "references"), i))
        url = opt_str(ref_obj, "url", join(join(location, "references"), i))
        if url:
            references.append(url)
    db = rec.get("database_specific")
    db_severity = db.get("severity") if isinstance(db, dict) else None
    return Advisory(
        id=record_id,
        source="osv",
        modified=opt_timestamp(rec, "modified", location),
        published=opt_timestamp(rec, "published", location),
        withdrawn=opt_timestamp(rec, "withdrawn", location),
        aliases=str_list(rec, "aliases", location),
        related=str_list(rec, "related", location),
        summary=opt_str(rec, "summary", location) or "",
        details=opt_str(rec, "details", location) or "",
        severity=severity,
        affected=affected,
        references=tuple(references),
        database_severity=db_severity if isinstance(db_severity, str) else None,
    )


def _severity(obj: Mapping[str, Any], location: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for i, item in enumerate(opt_list(obj, "severity", location)):
        here = join(join(location, "severity"), i)
        sev = as_object(item, here)
        out.append((req_str(sev, "type", here), req_str(sev, "score", here)))
    return tuple(out)


def _affected(value: object, location: str) -> AffectedPackage:
    aff = as_object(value, location)
    ecosystem, name, purl = "", "", None
    if aff.get("package") is not None:
        here = join(location, "package")
        pkg = as_object(aff["package"], here)
        ecosystem = req_str(pkg, "ecosystem", here)
        name = req_str(pkg, "name", here)
        purl = opt_str(pkg, "purl", here) or None
    ranges = tuple(
        _range(item, join(join(location, "ranges"), i))
        for i, item in enumerate(opt_list(aff, "ranges", location))
    )
    return AffectedPackage(
        ecosystem=ecosystem,
        name=name,
        purl=purl,
        ranges=ranges,
        versions=str_list(aff, "versions", location),
        severity=_severity(aff, location),
    )


def _range(value: object, location: str) -> VersionRange:
    rng = as_object(value, location)
    type_text = req_str(rng, "type", location)
    try:
        range_type = RangeType(type_text)
    except ValueError:
        raise RecordError(
            join(location, "type"),
            f"unknown range type {type_text!r} (expected ECOSYSTEM, SEMVER or GIT)",
        ) from None
    repo = opt_str(rng, "repo", location) or None
    if range_type is RangeType.GIT and not repo:
        raise RecordError(join(location, "repo"), "GIT range without repo")
    if "events" not in rng or rng["events"] is None:
        raise RecordError(join(location, "events"), "missing required field")
    raw_events = as_list(rng["events"], join(location, "events"))
    if not raw_events:
        raise RecordError(join(location, "events"), "range has no events")
    events = tuple(_event(ev, join(join(location, "events"), i)) for i, ev in enumerate(raw_events))
    kinds = {ev.kind for ev in events}
    if "introduced" not in kinds:
        raise RecordError(join(location, "events"), "range has no introduced event")
    if "fixed" in kinds and "last_affected" in kinds:
        raise RecordError(
            join(location, "events"), "fixed and last_affected are mutually exclusive"
        )
    if "limit" in kinds and range_type is not RangeType.GIT:
        raise RecordError(join(location, "events"), "limit events are only allowed in GIT ranges")
    return VersionRange(type=range_type, events=events, repo=repo)


def _event(value: object, location: str) -> RangeEvent:
    ev = as_object(value, location)
    present = [kind for kind in EVENT_KINDS if kind in ev]
    if not present:
        raise RecordError(location, "event has no introduced/fixed/last_affected/limit")
    if len(present) > 1:
        raise RecordError(location, f"event has more than one kind: {', '.join(present)}")
    kind = present[0]
    text = ev[kind]
    if not isinstance(text, str):
        raise RecordError(join(location, kind), f"expected a string, got {type_name(text)}")
    if not text.strip():
        raise RecordError(join(location, kind), "empty version")
    return RangeEvent(kind=kind, value=text)


# -- files, directories, archives ---------------------------------------------------------


def read_path(path: Path, size: FeedLimits | None = None) -> Iterator[FeedBatch]:
    """Read OSV records from a file, a directory tree or a zip archive.

    One batch per document. A member that is not JSON/YAML at all becomes a batch holding one
    problem (so one broken file does not stop a walk over thousands); an unsafe or unreadable
    archive, or a file or member over its size limit, raises :class:`InputError`.
    """
    given = size or FeedLimits.resolve()
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.suffix.lower() in SUFFIXES and child.is_file():
                yield _parse_or_report(limits.read_file(child, given.file), str(child))
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        yield from read_zip(path, given)
    else:
        yield parse(limits.read_file(path, given.file), source=str(path))


@dataclass(frozen=True, slots=True)
class FeedLimits:
    """Size limits of feed input: a file, one inflated archive member, a whole archive."""

    file: limits.SizeLimit
    member: limits.SizeLimit
    total: limits.SizeLimit

    @classmethod
    def resolve(cls, megabytes: float | None = None, option: str | None = None) -> FeedLimits:
        """The configured limits; ``megabytes`` (an import's ``--max-mb``) sets the limit of a
        feed file and of an archive member alike."""
        return cls(
            limits.resolve(limits.InputKind.FEED, megabytes, option=option),
            limits.resolve(limits.InputKind.ARCHIVE_MEMBER, megabytes, option=option),
            limits.resolve(limits.InputKind.ARCHIVE),
        )


def read_zip(path: Path, size: FeedLimits | None = None) -> Iterator[FeedBatch]:
    """Read every ``*.json``/``*.yaml``/``*.yml`` member of an archive, in name order."""
    given = size or FeedLimits.resolve()
    member_limit = given.member.max_bytes
    source = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(source, None, f"not a readable zip archive: {exc}") from None
    with archive:
        members = _checked_members(archive, source, given)
        for info in members:
            member_source = f"{source}!{info.filename}"
            try:
                with archive.open(info) as handle:
                    data = handle.read(member_limit + 1)
            # zipfile raises NotImplementedError for a compression method it cannot decode,
            # zlib.error for a corrupt deflate stream, EOFError for one cut short
            except (zipfile.BadZipFile, OSError, NotImplementedError, zlib.error, EOFError) as exc:
                yield _problem_batch(member_source, f"cannot read archive member: {exc}")
                continue
            if len(data) > member_limit:
                error = given.member.exceeded(member_source, None, "the member inflates to")
                yield _problem_batch(member_source, error.reason)
                continue
            yield _parse_or_report(data, member_source)


def _checked_members(
    archive: zipfile.ZipFile, source: str, given: FeedLimits
) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise LimitExceeded(source, None, f"archive has {len(infos)} members (limit {MAX_MEMBERS})")
    total = sum(info.file_size for info in infos)
    if total > given.total.max_bytes:
        raise given.total.exceeded(source, total, "the archive inflates to")
    members: list[zipfile.ZipInfo] = []
    for info in infos:
        name = info.filename
        if not name:
            raise InputError(source, None, "archive member without a name")
        pure = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or ".." in pure.parts or _DRIVE.match(name):
            raise InputError(source, name, "unsafe member name in archive")
        if "\x00" in name:
            raise InputError(source, repr(name), "unsafe member name in archive")
        if info.is_dir() or pure.suffix.lower() not in SUFFIXES:
            continue
        if info.file_size > given.member.max_bytes:
            error = given.member.exceeded(source, info.file_size, "the member is")
            raise LimitExceeded(source, name, error.reason)
        members.append(info)
    members.sort(key=lambda info: info.filename)
    return members


def _parse_or_report(data: bytes, source: str) -> FeedBatch:
    try:
        return parse(data, source=source)
    except InputError as exc:
        return FeedBatch(
            source=source,
            format=FeedFormat.OSV,
            problems=(FeedProblem(source, None, exc.location or "", exc.reason),),
        )


def _problem_batch(source: str, reason: str) -> FeedBatch:
    return FeedBatch(
        source=source, format=FeedFormat.OSV, problems=(FeedProblem(source, None, "", reason),)
    )
