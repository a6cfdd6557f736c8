"""psirt evidence check on folders of real documents written here in every format: psirt's own
procedure (Markdown, HTML, PDF) meets every signal, a DOCX and a PDF written by other tools are
read with the place of each passage, a folder without a procedure names its gaps, and bad files
are reported, not raised."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from psirt.cli.main import main
from psirt.domain.evidence import TOPICS
from psirt.domain.policy import load_policy
from psirt.publish.procedure import ProcedureFacts, procedure_body, procedure_document
from psirt.publish.render import RenderFormat, render
from psirt.services import evidence

SIGNALS = ["file_name", *(t.id for t in TOPICS)]
TOPIC_TEXT = (
    "For each confirmed vulnerability the PSIRT board decides whether to disclose it to "
    "customers and regulators.",
    "The board determines whether the issue is fixed by a software change (remediation) or by "
    "an updated intended environment of use specification.",
    "Every change is reviewed for its impact on safety, security and effectiveness before release.",
    "Open security issues are reviewed at each product release by the release board.",
    "Suppliers of third-party components are informed when the problem lies in their code.",
    "Other products and revisions that use the component are assessed and their teams informed.",
)


def _procedure(fmt: RenderFormat) -> bytes:
    policy = load_policy()
    doc = procedure_document(procedure_body(policy, ProcedureFacts()), version=None,
                             status="Draft: not issued", history=[], required="qa_approver",
                             policy_digest=policy.digest)  # fmt: skip
    return render(doc, fmt)


def _met(report: evidence.CheckReport) -> dict[str, bool]:
    return {s.id: s.met for s in report.signals}


@pytest.mark.parametrize("fmt", list(RenderFormat))
def test_psirts_own_procedure_meets_every_signal(tmp_path: Path, fmt: RenderFormat) -> None:
    name = f"security-issue-resolution-procedure-v1.{fmt.value}"
    (tmp_path / name).write_bytes(_procedure(fmt))
    report = evidence.check(tmp_path)
    assert _met(report) == dict.fromkeys(SIGNALS, True), report.gaps
    assert report.met and report.gaps == []
    by_id = {s.id: s for s in report.signals}
    assert [e.file for e in by_id["file_name"].evidence] == [name]
    review = by_id["open_issue_review"].evidence[0]
    assert review.file == name and "Open issues are reviewed at least at every product release" \
        in review.quote  # fmt: skip
    change = by_id["change_impact_review"].evidence[0]
    assert "impact on safety, security and effectiveness" in change.quote
    if fmt is RenderFormat.PDF:
        assert review.where.startswith("page ") and review.line is not None
        assert review.line.page is not None and review.line.page > 3
    else:
        assert review.where.startswith("line ")


def _docx(paragraphs: list[str], table: list[tuple[str, str]]) -> bytes:
    document = docx.Document()
    document.add_heading("Vulnerability Remediation SOP", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    grid = document.add_table(rows=0, cols=2)
    for left, right in table:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = left, right
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(lines_per_page: list[list[str]]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for lines in lines_per_page:
        y = 800
        for line in lines:
            canvas.drawString(60, y, line)
            y -= 14
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_a_docx_and_a_pdf_of_other_tools(tmp_path: Path) -> None:
    (tmp_path / "Vulnerability Remediation SOP.docx").write_bytes(
        _docx(list(TOPIC_TEXT[:5]), [("Cross-product", TOPIC_TEXT[5])])
    )
    report = evidence.check(tmp_path)
    assert report.met, report.gaps
    found = {s.id: s.evidence[0] for s in report.signals}
    assert found["disclosure_decision"].where == "paragraph 2"  # after the heading
    assert found["cross_product_notification"].where == "table 1, row 1"
    assert found["cross_product_notification"].quote.startswith("Cross-product | Other products")
    assert [f.as_dict() for f in report.files] == [{
        "file": "Vulnerability Remediation SOP.docx", "status": "read", "format": "docx",
        "detail": "7 lines of text",
    }]  # fmt: skip

    # A PDF written line by line: the sentences run over lines and pages keep their number.
    pdf_dir = tmp_path / "pdf"
    pdf_dir.mkdir()
    page2 = ["Open security issues are reviewed at each", "product release by the release board."]
    (pdf_dir / "psirt-closure.pdf").write_bytes(_pdf([["Scope of this work instruction."], page2]))
    report = evidence.check(pdf_dir)
    review = next(s for s in report.signals if s.id == "open_issue_review")
    assert review.met and review.evidence[0].where == "page 2, line 1"
    assert review.evidence[0].quote == (
        "Open security issues are reviewed at each product release by the release board."
    )
    assert _met(report)["file_name"] and not _met(report)["disclosure_decision"]


def test_a_folder_without_a_procedure_names_its_gaps(tmp_path: Path) -> None:
    (tmp_path / "software-development-plan.md").write_text(
        "# Software development plan\n\nWe plan, build, verify and release the software.\n\n"
        "## Problems\n\nProblems are entered in the tracker.\n", encoding="utf-8")  # fmt: skip
    (tmp_path / "design-review.html").write_text(
        "<html><body><h1>Design review</h1><p>The design is reviewed before release.</p>"
        "<script>var disclosure = 'decision';</script></body></html>",
        encoding="utf-8",
    )
    # the terms stand in different paragraphs: no topic is met by them together
    (tmp_path / "notes.txt").write_text(
        "Disclosure is handled by marketing.\n\nThe decision board meets on Mondays.\n",
        encoding="utf-8")  # fmt: skip
    report = evidence.check(tmp_path)
    assert not report.met
    assert _met(report) == dict.fromkeys(SIGNALS, False)
    assert report.gaps[0].startswith(
        "A document named like a security issue resolution procedure: not found; needs a file "
        "whose name matches Security.*Issue.*Resolution|"
    )
    assert "Disclosure decision (whether to disclose, 4.1.7): not found; needs a passage that " \
           "names disclosure, a decision" in report.gaps  # fmt: skip
    assert [(f.file, f.status, f.format) for f in report.files] == [
        ("design-review.html", "read", "html"),
        ("notes.txt", "read", "text"),
        ("software-development-plan.md", "read", "markdown"),
    ]


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", b"<w:document>" + b" " * 5_000_000 + b"</w:document>")
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_pdf([["secret"]])))
    writer.encrypt("a password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_bad_files_are_reported_and_the_rest_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    (tmp_path / "old-procedures.zip").write_bytes(_zip({"a.md": b"# x"}))
    (tmp_path / "bomb.docx").write_bytes(_bomb())
    (tmp_path / "locked.pdf").write_bytes(_encrypted_pdf())
    (tmp_path / "huge.txt").write_bytes(b"x" * 10_000)
    (tmp_path / "backup.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / ".hidden.md").write_text("ignored", encoding="utf-8")
    (tmp_path / "security-issue-resolution.md").write_text("\n\n".join(TOPIC_TEXT), "utf-8")
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 8_000)
    report = evidence.check(tmp_path)
    assert report.met, report.gaps
    files = {f.file: (f.status, f.detail) for f in report.files}
    status, detail = files.pop("broken.pdf")
    assert status == "unreadable" and detail.startswith("not a readable PDF (")
    assert files == {
        "backup.tar.gz": ("refused", "a gzip archive: unpack it into the folder first"),
        "bomb.docx": ("unreadable", "compressed more than 200:1; refused"),
        "huge.txt": ("refused", "10000 bytes; the limit is 8000"),
        "locked.pdf": ("unreadable", "an encrypted PDF that needs a password"),
        "logo.png": ("skipped", "binary data of no document format psirt reads"),
        "old-procedures.zip": (
            "refused",
            "a ZIP archive: unpack it into the folder to check its files",
        ),  # fmt: skip
        "security-issue-resolution.md": ("read", "6 lines of text"),
    }


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "security-issue-resolution-procedure.pdf").write_bytes(_procedure(RenderFormat.PDF))
    assert main(["evidence", "check", str(tmp_path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["met"] is True and report["gaps"] == []
    assert [s["id"] for s in report["signals"]] == SIGNALS
    third = next(s for s in report["signals"] if s["id"] == "third_party_notification")
    assert third["evidence"][0]["file"] == "security-issue-resolution-procedure.pdf"
    assert third["evidence"][0]["page"] > 3 and "supplier" in third["evidence"][0]["quote"]

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("Nothing here.", encoding="utf-8")
    assert main(["evidence", "check", str(empty)]) == 1
    out = capsys.readouterr().out
    assert "evidence check of" in out and "0 of 7 signals met" in out
    assert "gaps:\n  - A document named like a security issue resolution procedure" in out

    archive = tmp_path / "docs.zip"
    archive.write_bytes(_zip({"a.md": b"x"}))
    assert main(["evidence", "check", str(archive)]) == 2
    err = capsys.readouterr().err
    assert "docs.zip: not a folder (an archive is not read: unpack it and give the folder)" in err
    assert main(["evidence", "check", str(tmp_path / "missing")]) == 2
    assert "missing: no such folder" in capsys.readouterr().err
