"""The Security Issue Resolution Procedure written from a policy: every section, the clause
mapping, the policy's own values (a non-default policy), [D] markers, escaping, and the same
bytes for the same input in Markdown, HTML and PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys

import pypdf
import pytest

from psirt.domain.activity import ActivityType, Requirement
from psirt.domain.policy import load_policy
from psirt.publish.procedure import (
    BRIEF_CLAUSES,
    PlanFact,
    ProcedureFacts,
    ProductFact,
    VersionView,
    procedure_body,
    procedure_document,
)
from psirt.publish.render import RenderFormat, render

SECTIONS = (
    "1 Purpose and scope",
    "2 References and definitions",
    "3 Roles and authority",
    "4 Inputs",
    "5 Triage and analysis",
    "6 Risk evaluation method",
    "7 Deciding how to address an issue",
    "8 Change impact review",
    "9 Other products, revisions and third parties",
    "10 Remediation, patch validation and release",
    "11 Communication and coordinated disclosure",
    "12 Regulatory reporting interface",
    "13 Post-fix verification and closure",
    "14 Periodic review of open issues",
    "15 Timelines",
    "16 Records and retention",
    "Annex A Clause cross-reference",
    "Annex B Forms and record files",
)

SITE_POLICY = """
[procedure]
document_id = "QMS-SOP-042"
organisation = "Acme Infusion <Systems> & Co"
cvd_policy_url = "https://acme.example/security/cvd"
retention_years = 15

[intake]
ack_business_days = 3

[timers]
triage_days = 7
uncontrolled_comms_days = 45

[timers.ssvc_fix_days]
immediate = 14

[change_review]
required_aspects = ["safety", "security", "effectiveness", "regulatory", "labelling"]

[gates]
require_rescan = false
environment_update_change_review = false

[release_gate]
overdue_activities = false
scan_findings_at = "medium"

[[risk.uncontrolled]]
id = "serious_and_medium"
severity = ["serious"]
exploitability = ["medium", "high"]

[approvals.procedure]
roles = ["regulatory_affairs"]
all = false
distinct_from_author = false

[approvals.closure]
roles = ["management"]
all = false
distinct_from_author = true

[people]
"q.lee" = ["qa_approver"]
"m.diaz" = ["management", "safety_risk_manager"]
"""

FACTS = ProcedureFacts(
    (
        ProductFact("Infusion Pump IP-300", "Large-volume infusion pump"),
        ProductFact("Clinical Data Gateway", "HL7 integration service"),
    ),
    (
        PlanFact(
            "Clinical Data Gateway",
            (
                Requirement(ActivityType.SAST, every_build=True),
                Requirement(ActivityType.PENETRATION_TEST, interval_days=365, independent=True),
            ),
        ),
    ),
)
ISSUED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _document(policy_text: str | None = None, *, facts: ProcedureFacts = FACTS):  # type: ignore[no-untyped-def]
    policy = load_policy(policy_text, source="site.toml") if policy_text else load_policy()
    body = procedure_body(policy, facts)
    version = VersionView(4, "pat.psirt", ISSUED, policy.digest, "c" * 64, ("policy x",), "")
    return procedure_document(
        body,
        version=version,
        status="Approved, in force",
        history=[version],
        required="each of qa_approver, management, not the issuer",
        approved_at=ISSUED + dt.timedelta(days=1),
        policy_digest=policy.digest,
    )


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def default_outputs() -> dict[RenderFormat, bytes]:
    doc = _document()
    return {fmt: render(doc, fmt) for fmt in RenderFormat}


@pytest.fixture(scope="module")
def site_outputs() -> dict[RenderFormat, bytes]:
    doc = _document(SITE_POLICY)
    return {fmt: render(doc, fmt) for fmt in RenderFormat}


def _texts(outputs: dict[RenderFormat, bytes]) -> dict[RenderFormat, str]:
    return {
        RenderFormat.MD: outputs[RenderFormat.MD].decode(),
        RenderFormat.HTML: outputs[RenderFormat.HTML].decode(),
        RenderFormat.PDF: " ".join(_pdf_text(outputs[RenderFormat.PDF]).split()),
    }


def test_every_section_is_there_in_every_format(default_outputs: dict[RenderFormat, bytes]) -> None:
    texts = _texts(default_outputs)
    for fmt, text in texts.items():
        positions = [text.find(title) for title in SECTIONS]
        assert -1 not in positions, (fmt, [t for t in SECTIONS if t not in text])
    md = texts[RenderFormat.MD]
    headings = re.findall(r"^## (.+)$", md, re.MULTILINE)
    assert headings == ["Approvals", "Revision history", "Contents", *SECTIONS]
    html = texts[RenderFormat.HTML]
    assert re.findall(r"<h2>(.+?)</h2>", html) == [
        "Approvals", "Revision history", "Contents", *SECTIONS
    ]  # fmt: skip


def test_sections_name_the_clauses_they_serve() -> None:
    body = procedure_body(load_policy(), FACTS)
    clauses = {s["number"]: s["clauses"] for s in body["sections"]}
    for number in ("7", "8", "9", "14"):
        assert "IEC 81001-5-1 9.5" in clauses[number]
    assert "IEC 81001-5-1 4.1.7" in clauses["7"] and "IEC 81001-5-1 4.1.7" in clauses["11"]
    assert "IEC 81001-5-1 4.1.8" in clauses["14"]
    assert {"IEC 81001-5-1 9.3", "IEC 81001-5-1 9.4"} <= set(clauses["5"])
    assert "IEC 81001-5-1 9.2" in clauses["4"] and "IEC 81001-5-1 5.7" in clauses["4"]
    assert "IEC 62304 9.4" in clauses["8"] and "ISO 14971 10.4" in clauses["6"]
    assert "FD&C Act 524B(b)(2)" in clauses["7"]
    # Annex A lists every clause of the requirement with the sections serving it.
    annex = next(s for s in body["sections"] if s["number"] == "A")
    crossref = next(b for b in annex["blocks"] if b.get("caption", "").startswith("Clauses"))
    rows = {row[0]: row[1] for row in crossref["rows"]}
    for clause in BRIEF_CLAUSES:
        served = [c for c in rows if c == clause or c.startswith(clause + " ")
                  or c.startswith(clause + ".") or c.startswith(clause + "(")]  # fmt: skip
        assert served, clause
    assert rows["IEC 81001-5-1 9.5"] == "1, 7, 8, 9, 14"
    items = next(b for b in annex["blocks"] if b.get("caption", "").startswith("IEC 81001-5-1 9.5"))
    assert len(items["rows"]) == 6  # the six requirements of clause 9.5, each with its section


def test_default_policy_values_and_design_choice_markers(
    default_outputs: dict[RenderFormat, bytes],
) -> None:
    md = default_outputs[RenderFormat.MD].decode()
    timers = md[md.index("**Deadlines**") :]
    row = {
        m.group(1): line
        for line in timers.splitlines()
        if (m := re.search(r"\(`([A-Z_0-9*]+)`\)", line.split(" | ")[0]))
    }
    assert "10 days from T0" in row["TRIAGE"] and "[D]" in row["TRIAGE"]
    assert "5 business days from T0" in row["ACK"] and "[D]" in row["ACK"]
    assert "30 days from T0" in row["US_UNCONTROLLED_COMMS"]
    assert "FDA 2016 §VII.B(2)" in row["US_UNCONTROLLED_COMMS"]
    assert "[D]" not in row["US_UNCONTROLLED_COMMS"]
    assert "MDR Art. 87(4)" in row["EU_PUBLIC_HEALTH_THREAT"]
    assert "Manual: not tracked by psirt" in row["PROCESS_REVIEW"]
    assert "(shipped default:" not in md  # nothing differs from the default
    # Roles and approvals come from [approvals]: the decision needs all three roles.
    assert (
        "| Disclosure (R4) and resolution (R5) decisions | `psirt issue decide` | each of "
        "`design_authority`, `security_risk_owner`, `safety_risk_manager` | no |" in md
    )
    assert (
        "| A version of this procedure | `psirt procedure sign` | each of `qa_approver`, "
        "`management` | yes, not the issuer |" in md
    )
    assert "Manual: the policy names no people" in md
    # The matrix is the one psirt evaluates.
    assert (
        "| catastrophic | uncontrolled; controlled with verified compensating controls | "
        "uncontrolled | uncontrolled |" in md
    )
    assert "| serious | controlled | controlled | uncontrolled |" in md
    assert "| negligible | controlled | controlled | controlled |" in md
    # What is not enforced says so; products and test plans of the store are named.
    assert "Manual: psirt imports feeds when it is told to" in md
    assert (
        "| Clinical Data Gateway | penetration_test | every 365 days, on attack-surface "
        "change | yes |" in md
    )
    assert (
        "the fixed release has a stored SBOM that psirt scanned (policy gates.require_rescan)" in md
    )
    assert "Enforced: every affected release has a resolution, no release has two." in md
    # The release gate blocks what [release_gate] says.
    assert (
        "- Enforced: no active SBOM finding of the release at or above high, or without a "
        "severity, [D] stands without a security issue it is attached to." in md
    )
    assert "- Enforced [D]: no activity of the product's test plan is overdue" in md


def test_a_site_policy_changes_the_procedure(site_outputs: dict[RenderFormat, bytes]) -> None:
    texts = _texts(site_outputs)
    md = texts[RenderFormat.MD]
    assert "| Document ID | QMS-SOP-042 |" in md
    assert "https://acme.example/security/cvd" in md
    assert "Acme Infusion \\<Systems\\> & Co" in md
    assert "7 (shipped default: 10) days from T0" in md
    assert "3 (shipped default: 5) business days" in md
    assert "45 (shipped default: 30) days from T0 (longer than the 30 the regulation allows)" in md
    assert "| `immediate` | 30 days | 14 days (shipped default: 30) |" in md
    assert "15 (shipped default: 10) years" in md
    assert "`labelling` (policy change_review.required_aspects)" in md
    assert "(the policy does not require one: gates.require_rescan = false)" in md
    assert (
        "Manual: an update of the intended environment of use is not required to have an R6" in md
    )
    assert (
        "- Not checked at the gate (release_gate.overdue_activities = false): activities due "
        "under the test plan." in md
    )
    assert "no open scanner finding of the release at or above medium (shipped default: high)" in md
    assert "| `serious_and_medium` | serious | medium, high | no |" in md
    assert "| serious | controlled | uncontrolled | uncontrolled |" in md
    procedure_row = (
        "| A version of this procedure | `psirt procedure sign` | `regulatory_affairs` | no |"
    )
    assert procedure_row in md
    assert "| Closure (R16) | `psirt issue close` | `management` | yes, not the author |" in md
    assert "| QA approver (`qa_approver`) |" in md and "| q.lee |" in md
    assert "m.diaz" in md and "Manual: the policy names no people" not in md
    for fmt in (RenderFormat.HTML, RenderFormat.PDF):
        text = texts[fmt]
        for value in ("QMS-SOP-042", "https://acme.example/security/cvd", "shipped default: 10",
                      "longer than the 30 the regulation allows"):  # fmt: skip
            assert value in text, (fmt, value)
    html = texts[RenderFormat.HTML]
    assert "Acme Infusion &lt;Systems&gt; &amp; Co" in html and "<Systems>" not in html
    assert "Acme Infusion <Systems> & Co" in texts[RenderFormat.PDF]


def test_the_title_page_has_id_version_date_status_and_signatures(
    default_outputs: dict[RenderFormat, bytes],
) -> None:
    pdf = default_outputs[RenderFormat.PDF]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    first = " ".join(reader.pages[0].extract_text().split())
    for expected in ("Security Issue Resolution Procedure", "Document ID PSIRT-SIRP",
                     "Version 4", "Issued 2026-03-02 by pat.psirt", "Approved 2026-03-03",
                     "Status Approved, in force", "Approvals", "Revision history",
                     "issuer (author) pat.psirt authored 2026-03-02 09:30 UTC"):  # fmt: skip
        assert expected in first, expected
    pages = len(reader.pages)
    assert pages > 10
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {pages}" in page.extract_text()
    assert reader.metadata is not None
    assert reader.metadata.creation_date == dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)
    assert reader.metadata.title == "Security Issue Resolution Procedure (PSIRT-SIRP, version 4)"


def test_a_draft_says_so_on_every_page() -> None:
    policy = load_policy()
    doc = procedure_document(procedure_body(policy, FACTS), version=None,
                             status="Draft: not issued", history=[], required="qa_approver",
                             policy_digest=policy.digest, draft_of=2)  # fmt: skip
    pdf = render(doc, RenderFormat.PDF)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert all("DRAFT: not issued, not for use" in p.extract_text() for p in reader.pages)
    assert "| Version | draft of version 2 |" in render(doc, RenderFormat.MD).decode()


def test_the_same_input_gives_the_same_bytes(default_outputs: dict[RenderFormat, bytes]) -> None:
    again = _document()
    for fmt in RenderFormat:
        assert render(again, fmt) == default_outputs[fmt], fmt
    other = _document(SITE_POLICY)
    assert render(other, RenderFormat.PDF) != default_outputs[RenderFormat.PDF]


def test_the_pdf_is_the_same_in_another_process(default_outputs: dict[RenderFormat, bytes]) -> None:
    code = (
        "import sys, tests.unit.publish.test_procedure as t;"
        "from psirt.publish.render import render, RenderFormat;"
        "sys.stdout.buffer.write(render(t._document(), RenderFormat.PDF))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert out == default_outputs[RenderFormat.PDF]


def test_markdown_and_html_escape_what_the_policy_says() -> None:
    hostile = '[procedure]\norganisation = "**bold** | pipe <img src=x onerror=alert(1)>"\n'
    doc = _document(hostile)
    html = render(doc, RenderFormat.HTML).decode()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    md = render(doc, RenderFormat.MD).decode()
    assert "\\*\\*bold\\*\\* \\| pipe \\<img src=x onerror=alert(1)\\>" in md
