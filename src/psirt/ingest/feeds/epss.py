"""FIRST EPSS scores CSV (https://www.first.org/epss/data_stats).

Layout of the daily ``epss_scores-YYYY-MM-DD.csv``::

    #model_version:v2023.03.01,score_date:2024-03-05T00:00:00+0000
    cve,epss,percentile
    CVE-1999-0001,0.01025,0.83647

The comment line is optional (older files lack it); its ``score_date`` becomes every
:class:`~psirt.domain.advisory.EpssScore`'s ``score_date``. A row with a malformed CVE id,
or a probability / percentile that is not a number in [0, 1], is reported by line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

from psirt.domain.advisory import EpssScore
from psirt.errors import InputError
from psirt.ingest.feeds import FeedBatch, FeedFormat, FeedProblem
from psirt.ingest.feeds._common import RecordError, decode_text, parse_date

HEADER = ("cve", "epss", "percentile")
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")


def parse(data: bytes, *, source: str) -> FeedBatch:
    text = decode_text(data, source)
    lines = text.splitlines()
    score_date = None
    first = 0
    if lines and lines[0].startswith("#"):
        score_date = _comment_date(lines[0], source)
        first = 1
    reader = csv.reader(io.StringIO("\n".join(lines[first:])))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(source, f"line {first + 1}", f"not valid CSV: {exc}") from None
    if header is None or tuple(h.strip().lower() for h in header[:3]) != HEADER:
        raise InputError(source, f"line {first + 1}", "expected the header cve,epss,percentile")
    scores: list[EpssScore] = []
    problems: list[FeedProblem] = []
    try:
        for row in reader:
            line = f"line {first + reader.line_num}"
            if not row or not any(cell.strip() for cell in row):
                continue
            try:
                scores.append(_row(row, line, score_date))
            except RecordError as exc:
                cve = row[0].strip() if row and _CVE_ID.fullmatch(row[0].strip()) else None
                problems.append(FeedProblem(source, cve, exc.location, exc.reason))
    except csv.Error as exc:
        raise InputError(
            source, f"line {first + reader.line_num}", f"not valid CSV: {exc}"
        ) from None
    return FeedBatch(
        source=source, format=FeedFormat.EPSS, epss=tuple(scores), problems=tuple(problems)
    )


def _comment_date(line: str, source: str) -> dt.date | None:
    fields = dict(part.split(":", 1) for part in line.lstrip("#").split(",") if ":" in part)
    raw = fields.get("score_date")
    if raw is None:
        return None
    try:
        return parse_date(raw, "line 1: score_date")
    except RecordError as exc:
        raise InputError(source, "line 1", f"score_date: {exc.reason}") from None


def _row(row: list[str], location: str, score_date: dt.date | None) -> EpssScore:
    if len(row) < 3:
        raise RecordError(location, f"expected 3 cells (cve,epss,percentile), got {len(row)}")
    cve_id = row[0].strip()
    if not _CVE_ID.fullmatch(cve_id):
        raise RecordError(location, f"not a CVE id: {cve_id!r}")
    return EpssScore(
        cve_id=cve_id,
        epss=_probability(row[1], location, "epss"),
        percentile=_probability(row[2], location, "percentile"),
        score_date=score_date,
    )


def _probability(text: str, location: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RecordError(location, f"{name} is not a number: {text.strip()!r}") from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise RecordError(location, f"{name} must be between 0 and 1: {text.strip()!r}")
    return value
