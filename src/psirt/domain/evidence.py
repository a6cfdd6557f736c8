"""Evidence signals of IEC 81001-5-1 clause 9.5 in a folder of quality-system documents.

Auditors look for a document whose name matches :data:`NAME_PATTERN` and that describes how
confirmed vulnerabilities are addressed. :func:`evaluate` checks both over documents already
turned into text (:class:`TextDocument`, one :class:`Line` per line, paragraph or table cell,
with its place in the file):

* ``FILE_EXISTS``: a file name matches the pattern (case-insensitive);
* one ``CONTENT_MATCH`` signal per topic the requirement names (:data:`TOPICS`): a topic is met
  by a *passage* in which every one of its term groups occurs. A passage is one sentence, or two
  consecutive sentences, of one paragraph (a blank line, a heading, a list item, a table row, a
  new DOCX paragraph or a new PDF page starts another), so the terms have to stand together,
  not anywhere in the file. The shortest such passage of a file is quoted,
  sentences of prose before headings and table cells.

Each met signal quotes where it was found (file, page, line or paragraph). The terms are listed
in :data:`TOPICS`; they are what the checker reads, not a judgement of the document's quality.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "NAME_PATTERN",
    "TOPICS",
    "Evidence",
    "Line",
    "SignalResult",
    "TextDocument",
    "Topic",
    "evaluate",
]

# The file-name signal of the requirement (IEC 81001-5-1 9.5 evidence, FILE_EXISTS).
NAME_PATTERN = re.compile(
    r"Security.*Issue.*Resolution|Vulnerability.*Remediation|PSIRT.*Closure|"
    r"Security.*Change.*Review",
    re.IGNORECASE,
)
MAX_QUOTES = 3
PROSE_WORDS = 12  # a passage of fewer words is a heading or a table cell
SPAN_CHARS = 100
QUOTE_CHARS = 280


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text and where it is: a line of a text file, a line of a PDF page, a DOCX
    paragraph or table cell. ``breaks_before``: a paragraph starts here."""

    text: str
    line: int | None = None
    page: int | None = None
    paragraph: int | None = None
    table: tuple[int, int] | None = None  # DOCX table number and row
    breaks_before: bool = False
    cell: bool = False  # a table cell or row, a heading: not a sentence of prose

    def where(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.paragraph is not None:
            parts.append(f"paragraph {self.paragraph}")
        if self.table is not None:
            parts.append(f"table {self.table[0]}, row {self.table[1]}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TextDocument:
    name: str  # the path inside the folder, with forward slashes
    format: str
    lines: tuple[Line, ...]
    pages: int | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    groups: tuple[tuple[str, re.Pattern[str]], ...]  # (what the group means, its terms)

    def matches(self, text: str) -> bool:
        return all(p.search(text) for _, p in self.groups)


def _terms(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


TOPICS: tuple[Topic, ...] = (
    Topic("disclosure_decision", "Disclosure decision (whether to disclose, 4.1.7)", (
        ("disclosure", _terms(r"\bdisclos\w*")),
        ("a decision", _terms(r"\bdecid\w*|\bdecision\w*|\bdetermin\w*|\bwhether\b")),
    )),
    Topic("resolution_approach", "Remediation or environment-of-use approach", (
        ("remediation", _terms(r"\bremediat\w*|\bfix\w*|\bpatch\w*|problem[- ]resolution")),
        ("environment of use", _terms(r"\benvironments?[- ]of[- ](intended[- ])?use\b|"
                                      r"\b(intended|operating)[- ](use[- ])?environment")),
    )),
    Topic("change_impact_review", "Change impact review (safety, security, effectiveness)", (
        ("a change", _terms(r"\bchang\w*")),
        ("its impact", _terms(r"\bimpact\w*|\beffects?\b")),
        ("a review", _terms(r"\breview\w*|\bassess\w*|\bevaluat\w*")),
        ("safety or effectiveness", _terms(r"\bsafety\b|\beffectiveness\b|essential performance")),
    )),
    Topic("open_issue_review", "Periodic review of open issues at product releases", (
        ("open issues", _terms(r"\bopen[- ](security[- ])?(issues?|vulnerabilit\w*|defects?|"
                               r"problems?|findings?|items?)\b|\bunresolved\b|\boutstanding\b")),
        ("a review", _terms(r"\breview\w*")),
        ("product releases", _terms(r"\breleases?\b")),
    )),
    Topic("third_party_notification", "Third parties informed of problems in their code", (
        ("third parties", _terms(r"\bthird[- ]?part\w*|\bsuppliers?\b|\bupstream\b|\bvendors?\b")),
        ("informing them", _terms(r"\binform\w*|\bnotif\w*|\bnotice\w*|\bcontact\w*|"
                                  r"\bcommunicat\w*|\btold\b|\btell\b")),
    )),
    Topic("cross_product_notification", "Other products and revisions informed or assessed", (
        ("other products or revisions",
         _terms(r"\bother (products?|product lines?|revisions?|versions?|releases?)\b|"
                r"\bcross[- ]product|\bportfolio\b|\bvariant analysis\b")),
        ("informing or assessing them",
         _terms(r"\binform\w*|\bnotif\w*|\bassess\w*|\bcheck\w*|\bquer\w*|\bsearch\w*|"
                r"\bevaluat\w*|\breview\w*")),
    )),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Evidence:
    file: str
    where: str
    quote: str
    line: Line | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"file": self.file, "location": self.where, "quote": self.quote}
        if self.line is not None:
            out.update(page=self.line.page, line=self.line.line, paragraph=self.line.paragraph)
        return out


@dataclass(frozen=True, slots=True)
class SignalResult:
    id: str
    kind: str  # FILE_EXISTS | CONTENT_MATCH
    title: str
    met: bool
    evidence: tuple[Evidence, ...]
    needs: str  # what would meet it

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "met": self.met,
            "needs": self.needs,
            "evidence": [e.as_dict() for e in self.evidence],
        }


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[A-Z0-9\u2022-])")


_LEADER = re.compile(r"(\.\s*){4,}")  # a line of a table of contents


def _paragraphs(doc: TextDocument) -> Iterator[list[Line]]:
    """Runs of lines of one paragraph: a blank line or a line that starts one ends a run; a
    contents line with dot leaders is left out."""
    run: list[Line] = []
    for line in doc.lines:
        alone = bool(_LEADER.search(line.text))
        if not line.text.strip() or line.breaks_before or alone:
            if run:
                yield run
            run = []
        if line.text.strip() and not alone:
            run.append(line)
    if run:
        yield run


def _join(lines: Sequence[Line]) -> tuple[str, list[tuple[int, Line]]]:
    """The paragraph as one text, and where each line starts in it."""
    out = ""
    starts: list[tuple[int, Line]] = []
    for line in lines:
        text = " ".join(line.text.split())
        if out.endswith("-") and text[:1].islower():
            starts.append((len(out), line))
            out += text  # a word cut at the end of a line
        else:
            out += " " if out else ""
            starts.append((len(out), line))
            out += text
    return out, starts


def _passages(doc: TextDocument) -> Iterator[tuple[Line, str]]:
    """Each sentence of each paragraph, alone and with the next one, with the line it
    starts on (contents lines with dot leaders are no passage)."""
    for paragraph in _paragraphs(doc):
        text, starts = _join(paragraph)
        bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
        spans = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]
        for i, (a, b) in enumerate(spans):
            line = next(ln for start, ln in reversed(starts) if start <= a)
            yield line, text[a:b].strip()
            if i + 1 < len(spans):
                yield line, text[a : spans[i + 1][1]].strip()


def _quote(text: str, topic: Topic) -> str:
    """The passage around the first term found, at most QUOTE_CHARS characters."""
    if len(text) <= QUOTE_CHARS:
        return text
    starts = [m.start() for _, p in topic.groups if (m := p.search(text))]
    begin = max(0, min(starts) - 60)
    begin = text.rfind(" ", 0, begin) + 1 if begin else 0
    piece = text[begin : begin + QUOTE_CHARS]
    cut = piece.rfind(" ")
    if begin + QUOTE_CHARS < len(text) and cut > QUOTE_CHARS // 2:
        piece = piece[:cut]
    return ("..." if begin else "") + piece + ("..." if begin + len(piece) < len(text) else "")


def _span(topic: Topic, text: str) -> int:
    """The length of the shortest stretch of ``text`` holding a term of every group."""
    hits = [[m.start() for m in p.finditer(text)][:20] for _, p in topic.groups]
    best = len(text)
    for first in hits[0]:
        ends = [min((abs(h - first) for h in group), default=len(text)) for group in hits[1:]]
        best = min(best, max(ends, default=0))
    return best


def _rank(topic: Topic, line: Line, text: str) -> tuple[bool, bool, int, int]:
    """Sentences of prose before table cells and headings; then passages whose terms stand
    close together (within SPAN_CHARS); then the shorter passage."""
    prose = len(text.split()) >= PROSE_WORDS and text.rstrip(")").endswith((".", ":"))
    return line.cell, not prose, _span(topic, text) // SPAN_CHARS, len(text)


def _topic_evidence(topic: Topic, docs: Sequence[TextDocument]) -> list[Evidence]:
    """Per file, the shortest sentence (else heading or cell) naming every term group."""
    found: list[Evidence] = []
    for doc in docs:
        best: tuple[Line, str] | None = None
        for line, text in _passages(doc):
            if topic.matches(text) and (
                best is None or _rank(topic, line, text) < _rank(topic, *best)
            ):
                best = (line, text)
        if best is not None:
            found.append(Evidence(doc.name, best[0].where(), _quote(best[1], topic), best[0]))
        if len(found) >= MAX_QUOTES:
            break
    return found


def evaluate(names: Sequence[str], docs: Sequence[TextDocument]) -> list[SignalResult]:
    """The signals over the file ``names`` of the folder and the ``docs`` read from it."""
    matching = [n for n in names if NAME_PATTERN.search(n.rsplit("/", 1)[-1])]
    results = [
        SignalResult(
            "file_name",
            "FILE_EXISTS",
            "A document named like a security issue resolution procedure",
            bool(matching),
            tuple(Evidence(n, "file name", n) for n in matching[:MAX_QUOTES]),
            f"a file whose name matches {NAME_PATTERN.pattern}",
        )
    ]
    for topic in TOPICS:
        evidence = _topic_evidence(topic, docs)
        needs = "a passage that names " + ", ".join(what for what, _ in topic.groups)
        results.append(SignalResult(topic.id, "CONTENT_MATCH", topic.title, bool(evidence),
                                    tuple(evidence), needs))  # fmt: skip
    return results
