"""The Security Issue Resolution Procedure, written from the policy psirt runs under.

``procedure_body`` writes the sixteen sections of the project's domain notes (REPORT.md §(e)) and
two annexes from a :class:`~psirt.domain.policy.Policy` and the facts of the store that the
procedure names (the products in scope, their test plans). Every rule it states as *enforced*
is a gate of :mod:`psirt.domain.issue`, :mod:`psirt.domain.release_gate` or the release-status
check of the catalog, with the roles, timers and switches of the policy; duties psirt does not
check are stated as the organisation's own and marked so. Values without a normative source are
marked [D] (the manufacturer's own choice); a value that differs from the shipped default says
so. ``procedure_document`` adds the title page (document id, version, date, status, approvals,
revision history) to a body, for the renderers of :mod:`psirt.publish.render`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psirt.domain.activity import SURFACE_CHANGE_TYPES, ActivityType, Requirement
from psirt.domain.issue import TRANSITIONS, Action
from psirt.domain.policy import ApprovalKind, ApprovalRule, Policy, default_policy
from psirt.domain.procedure import TITLE
from psirt.domain.records import (
    Audience,
    DisclosureKind,
    EuRoute,
    IntakeSource,
    ItemClass,
    ReleaseVehicle,
    ReopenTrigger,
    ResolutionApproach,
    ReviewAspect,
    Role,
    Signature,
    UsRoute,
    VexJustification,
)
from psirt.domain.risk import Exploitability, HarmSeverity, RiskInputs, evaluate
from psirt.domain.ssvc import SsvcDecision
from psirt.publish.document import Bullets, Document, Paragraph, Section, Table

__all__ = [
    "BRIEF_CLAUSES",
    "PlanFact",
    "ProcedureFacts",
    "ProductFact",
    "VersionView",
    "procedure_body",
    "procedure_document",
]

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class ProductFact:
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class PlanFact:
    product: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class ProcedureFacts:
    """What the procedure says about the store: products in scope and their test plans."""

    products: tuple[ProductFact, ...] = ()
    plans: tuple[PlanFact, ...] = ()


# --------------------------------------------------------------------------- vocabulary

I81 = "IEC 81001-5-1"
I62 = "IEC 62304"
I14 = "ISO 14971"
FDA16 = "FDA postmarket guidance (2016)"
FDAPRE = "FDA premarket guidance (2025)"
FDC = "FD&C Act 524B"
MDCG = "MDCG 2019-16"

# The clauses the procedure must serve (the requirement's mapping and its neighbours).
BRIEF_CLAUSES: tuple[str, ...] = (
    f"{I81} 4.1.7",
    f"{I81} 4.1.8",
    f"{I81} 5.7",
    f"{I81} 9.2",
    f"{I81} 9.3",
    f"{I81} 9.4",
    f"{I81} 9.5",
    f"{I62} 9",
    f"{I14} 10",
    FDC,
)

ROLE_LABEL: dict[Role, str] = {
    Role.PSIRT_LEAD: "PSIRT lead",
    Role.SECURITY_RISK_OWNER: "Security risk owner",
    Role.SAFETY_RISK_MANAGER: "Safety risk manager",
    Role.REGULATORY_AFFAIRS: "Regulatory affairs",
    Role.DESIGN_AUTHORITY: "Design authority (product owner)",
    Role.QA_APPROVER: "QA approver",
    Role.COMMUNICATIONS: "Communications owner",
    Role.MANAGEMENT: "Management",
}
ROLE_DUTY: dict[Role, str] = {
    Role.PSIRT_LEAD: "Owns the workflow: intake, acknowledgement of reporters, triage, "
    "reopening, post-fix monitoring, watching the deadlines.",
    Role.SECURITY_RISK_OWNER: "Evaluates the security risk: triage, analysis (exploitability, "
    "CVSS, SSVC), disclosure and resolution decisions.",
    Role.SAFETY_RISK_MANAGER: "Owns the ISO 14971 risk management file: harm severity, the "
    "controlled/uncontrolled determination, risk acceptance.",
    Role.REGULATORY_AFFAIRS: "Decides reportability (21 CFR 806/803, MDR Art. 87) and files "
    "the reports.",
    Role.DESIGN_AUTHORITY: "Decides how the product is changed, owns the change request and "
    "the release of the fix, approves product releases.",
    Role.QA_APPROVER: "Approves independently of the author: verification, closure, release "
    "gate, this procedure.",
    Role.COMMUNICATIONS: "Writes and sends customer notices and advisories.",
    Role.MANAGEMENT: "Accepts residual risk, approves overrides of gates and this procedure.",
}
APPROVAL_USE: dict[ApprovalKind, tuple[str, str]] = {
    ApprovalKind.TRIAGE: ("Triage (R2): RECEIVED to TRIAGE", "psirt issue triage"),
    ApprovalKind.NOT_AFFECTED: ("Closure as not affected (VEX)", "psirt issue close-not-affected"),
    ApprovalKind.DUPLICATE: ("Closure as duplicate", "psirt issue close-duplicate"),
    ApprovalKind.ANALYSIS: ("Analysis (R3), risk determination", "psirt issue analyze"),
    ApprovalKind.REPORTABILITY: ("Regulatory reportability (R7)", "psirt issue attach"),
    ApprovalKind.DECISION: ("Disclosure (R4) and resolution (R5) decisions", "psirt issue decide"),
    ApprovalKind.VERIFICATION: ("Verification (R9), checked at release", "psirt issue release"),
    ApprovalKind.RELEASE: ("Release of the fix and advisory (R10)", "psirt issue release"),
    ApprovalKind.RISK_ACCEPTANCE: ("Risk acceptance (R15)", "psirt issue accept-risk"),
    ApprovalKind.CLOSURE: ("Closure (R16)", "psirt issue close"),
    ApprovalKind.OVERRIDE: ("Waiver of named gate items", "psirt issue override"),
    ApprovalKind.RELEASE_GATE: (
        "Product release at the release gate (R13a)",
        "psirt release approve",
    ),  # fmt: skip
    ApprovalKind.PROCEDURE: ("A version of this procedure", "psirt procedure sign"),
}
SOURCE_LABEL: dict[IntakeSource, str] = {
    IntakeSource.SECURITY_VV_TESTER: "a) security verification and validation testers",
    IntakeSource.THIRD_PARTY_SUPPLIER: "b) suppliers of third-party software items",
    IntakeSource.DEVELOPER_OR_TESTER: "c) developers and testers",
    IntakeSource.PRODUCT_USER: "d) users, integrators, operators, administrators, maintainers",
    IntakeSource.AUDIT_EVENT_LOG: "e) audit and event logs",
    IntakeSource.SECURITY_RESEARCHER: "f) security researchers",
    IntakeSource.WIDESPREAD_VULN_FEED: "g) feeds of widespread vulnerabilities (6.2)",
}
# The regulatory ceiling of the timers that come from a regulation (days).
REGULATORY_LIMIT = {
    "timers.uncontrolled_comms_days": 30,
    "timers.uncontrolled_fix_days": 60,
    "timers.report_806_working_days": 10,
    "timers.eu_serious_incident_days": 15,
    "timers.eu_death_or_deterioration_days": 10,
    "timers.eu_public_health_threat_days": 2,
}
D = "[D]"


def _code(text: str) -> str:
    return f"`{text}`"


def _role(role: Role) -> str:
    return f"{ROLE_LABEL[role]} ({_code(role.value)})"


def _roles(roles: Iterable[Role], joiner: str = ", ") -> str:
    return joiner.join(_role(r) for r in roles)


def _days(n: int, unit: str = "days") -> str:
    return f"{n} {unit[:-1] if n == 1 else unit}"


class _Values:
    """Policy values with their path, compared with the shipped default."""

    def __init__(self, policy: Policy) -> None:
        self.doc = policy.document
        self.default = default_policy().document

    @staticmethod
    def _get(doc: Mapping[str, Any], path: str) -> Any:
        node: Any = doc
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def changed(self, path: str) -> str:
        """`` (shipped default: X)`` when the policy's value differs from the default."""
        mine, shipped = self._get(self.doc, path), self._get(self.default, path)
        if shipped is None or mine == shipped:
            return ""
        return f" (shipped default: {_plain(shipped)})"

    def show(self, path: str) -> str:
        return f"{_plain(self._get(self.doc, path))}{self.changed(path)}"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


def _rule_text(rule: ApprovalRule, *, author: str = "author") -> tuple[str, str]:
    roles = ", ".join(_code(r.value) for r in rule.roles)
    who = f"each of {roles}" if rule.all and len(rule.roles) > 1 else f"one of {roles}"
    if len(rule.roles) == 1:
        who = roles
    independent = f"yes, not the {author}" if rule.distinct_from_author else "no"
    return who, independent


# --------------------------------------------------------------------------- sections


def _s1_scope(policy: Policy, facts: ProcedureFacts) -> Section:
    org = policy.procedure.organisation or "the manufacturer"
    products = (
        Table(("Product", "Description"), tuple((p.name, p.description) for p in facts.products),
              (2, 5), "Products in scope (registered in psirt when this version was written)")
        if facts.products
        else Paragraph("No product is registered in psirt yet. The procedure applies to every "
                       "product registered with `psirt product add`.")
    )  # fmt: skip
    states = []
    for action, (sources, target) in TRANSITIONS.items():
        states.append((", ".join(sorted(s.value for s in sources)), target.value,
                       _code(f"psirt issue {_ISSUE_COMMAND[action]}")))  # fmt: skip
    return Section(
        "1",
        "Purpose and scope",
        (
            Paragraph(
                f"This procedure states how {org} addresses security-related issues of its "
                "health software and medical device software after they are reported or "
                "found: how each confirmed vulnerability is triaged, analysed and evaluated, how "
                "it is decided whether to disclose it and whether to resolve it by a change of "
                "the product (problem resolution) or by an updated intended environment of use, "
                "how changes are reviewed for their impact on safety, security and "
                "effectiveness, how other products and third parties are informed, and how open "
                "issues are reviewed at every product release (IEC 81001-5-1 clause 9.5)."
            ),
            Paragraph(
                "It is written by psirt from the policy psirt runs under. Where it says psirt "
                "enforces a rule, psirt refuses the step until the named records and signatures "
                "are there, naming every missing item; such a refusal can be waived only item "
                "by item with a signed, recorded override (section 3). Duties marked Manual are "
                "the organisation's own and are not checked by psirt."
            ),
            products,
            Paragraph(
                "Software items are classed as maintained (the manufacturer patches them and "
                "makes their integrity verifiable), supported (the operator updates them; the "
                "manufacturer notifies customers of known risks and gives a compatibility "
                "statement) or required (known risks are addressed by compensating-control "
                "requirements and disclosed residual risk), per IEC 81001-5-1 4.3 as clarified "
                "by ISH1:2025. The class of the affected item (R3 or R1 `item_class`) selects "
                "the release obligations of section 10."
            ),
            Paragraph(
                "Each security issue is one vulnerability in one product line; it is also a "
                "problem report of the IEC 62304 clause 9 software problem resolution process: "
                "its closure requires the reference of the updated risk management file and the "
                "problem report closed (section 13). The lifecycle states and the transitions "
                "psirt allows are:"
            ),
            Table(
                ("From state", "To state", "Command"),
                tuple(states),
                (4, 3, 3),
                "Lifecycle transitions",
            ),  # fmt: skip
        ),
        (f"{I81} 9.5", f"{I81} 4.3 and ISH1:2025", f"{I62} 9"),
    )


_ISSUE_COMMAND = {
    Action.TRIAGE: "triage",
    Action.CLOSE_NOT_AFFECTED: "close-not-affected",
    Action.CLOSE_DUPLICATE: "close-duplicate",
    Action.ANALYZE: "analyze",
    Action.DECIDE: "decide",
    Action.START_REMEDIATION: "remediate",
    Action.VERIFY: "verify",
    Action.REWORK: "rework",
    Action.RELEASE: "release",
    Action.MONITOR: "monitor",
    Action.CLOSE: "close",
    Action.ACCEPT_RISK: "accept-risk",
    Action.REOPEN: "reopen",
}


def _s2_definitions(policy: Policy) -> Section:
    rows = (
        ("Vulnerability", "A weakness of a software item that a threat could exploit."),
        ("Security-related issue (security issue)", "A vulnerability or other security defect "
         "of a product, tracked as one record from intake to closure in psirt."),
        ("Controlled risk", "Sufficiently low (acceptable) residual risk of patient harm "
         "(FDA 2016 §IV)."),
        ("Uncontrolled risk", "Unacceptable residual risk of patient harm due to insufficient "
         "compensating controls and risk mitigations (FDA 2016 §IV)."),
        ("T0", "When the organisation first learned of the vulnerability: `learned_at` of the "
         "intake record R1; every deadline counts from it."),
        ("Item classes", "maintained, supported, required (section 1)."),
        ("VEX status", "not_affected, affected, fixed, under_investigation (CSAF 2.0, OpenVEX); "
         "not_affected needs one of the justifications of section 5."),
        ("SSVC priority", "defer, scheduled, out_of_cycle, immediate: the CERT/CC SSVC supplier "
         "decision, computed by psirt from the analysis."),
        ("R1 to R16", "The records of the lifecycle, listed in section 16."),
        (D, "A value without a normative source: the manufacturer's own choice, configurable "
         "in the policy."),
        ("Enforced", "psirt refuses the step until the condition holds."),
        ("Manual", "A duty of the organisation that psirt does not check."),
    )  # fmt: skip
    return Section(
        "2",
        "References and definitions",
        (
            Table(("Term", "Meaning"), rows, (2, 5), "Definitions"),
            Table(
                ("Reference", "Used for"),
                (
                    (
                        f"{I81}:2021 and ISH1:2025",
                        "Security activities in the product lifecycle of "
                        "health software, clauses 4.1.7, 4.1.8, 5.7, 6, 7 and 9.",
                    ),
                    (f"{I62}:2006+A1:2015 clause 9", "Software problem resolution."),
                    (f"{I14}:2019 clause 10", "Production and post-production activities."),
                    (
                        f"{FDA16}",
                        "Controlled and uncontrolled risk, the 30/60-day conditions, reporting.",
                    ),
                    (f"{FDAPRE}", "KEV, cybersecurity management plan, periodic testing, metrics."),
                    (
                        f"{FDC} (21 U.S.C. 360n-2)",
                        "Postmarket plan, patches on a justified regular cycle "
                        "and out of cycle for critical vulnerabilities.",
                    ),
                    (
                        "21 CFR 806.10; 21 CFR 803",
                        "Reports of corrections and removals; medical device reports.",
                    ),
                    (
                        "Regulation (EU) 2017/745 Art. 87; MDCG 2019-16 rev.1",
                        "Vigilance reporting; cybersecurity guidance for medical devices.",
                    ),
                    (
                        "ISO/IEC 29147, ISO/IEC 30111; CSAF 2.0; OpenVEX; CERT/CC SSVC",
                        "Coordinated disclosure, advisories and VEX, prioritisation.",
                    ),
                ),
                (2, 5),
                "References",
            ),  # fmt: skip
        ),
        (f"{FDA16} §IV",),
    )


def _s3_roles(policy: Policy) -> Section:
    people = policy.people
    rows = []
    for role in Role:
        approves = [APPROVAL_USE[k][0] for k, r in policy.approvals.items() if role in r.roles]
        named = sorted(p for p, roles in people.items() if role in roles)
        rows.append((_role(role), ROLE_DUTY[role], "; ".join(approves) or "none",
                     ", ".join(named) if people else "not named in the policy"))  # fmt: skip
    approvals = []
    for kind in ApprovalKind:
        rule = policy.approvals[kind]
        label, command = APPROVAL_USE[kind]
        author = "chair" if kind is ApprovalKind.RELEASE_GATE else "author"
        if kind is ApprovalKind.PROCEDURE:
            author = "issuer"
        who, independent = _rule_text(rule, author=author)
        approvals.append((label, _code(command), who, independent))
    if people:
        who_note = Paragraph(
            "The policy names who holds each role ([people]): psirt refuses a signature, review "
            "attendee or signer whose role the policy does not give them."
        )
    else:
        who_note = Paragraph(
            "Manual: the policy names no people ([people] is empty), so psirt records the role "
            "each signer states but cannot check that they hold it. The organisation keeps the "
            "list of role holders; naming them in the policy makes psirt check every signature.",
            note=True)  # fmt: skip
    return Section(
        "3",
        "Roles and authority",
        (
            Table(
                ("Role", "Duties", "Approves (policy [approvals])", "People ([people])"),
                tuple(rows),
                (4, 5, 4, 2),
                "Roles",
            ),  # fmt: skip
            Table(
                ("Decision", "Command", "Approved by", "Independent of the author"),
                tuple(approvals),
                (4, 3, 4, 2),
                "Who approves what (enforced)",
            ),  # fmt: skip
            Paragraph(
                "A signature names the signer, the role, its meaning (authored, reviewed, "
                "approved), the time and the sha256 of the canonical JSON of the record signed: "
                "a changed record no longer carries the signature. Where the table says "
                "'each of', every listed role must approve; 'independent' means the approver "
                "must not be the person who recorded the step."
            ),
            who_note,
            Paragraph(
                "An override waives named missing items of one transition of one issue. It "
                f"needs a justification and approval by {_rule_text(policy.approvals[ApprovalKind.OVERRIDE])[0]}, "  # noqa: E501
                "and it is recorded in the issue's history."
            ),
            Paragraph(
                "psirt records the acting user given with `--user` or `PSIRT_USER`; it does not "
                "authenticate people. Manual: access to the psirt database and the controls "
                "that make these signatures electronic signatures under the organisation's "
                "rules (for example 21 CFR Part 11) are the organisation's.",
                note=True,
            ),
            Paragraph(
                "Testers who verify a fix record their independence (same team, independent "
                "internal, independent external; IEC 81001-5-1 5.7.5); test plans may require "
                "independent performers for an activity (section 4)."
            ),
        ),
        (f"{I81} 4.1.2", f"{I81} 5.7.5"),
    )


def _cadence_rows(facts: ProcedureFacts) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (plan.product, req.type.value, req.cadence(), "yes" if req.independent else "no")
        for plan in facts.plans
        for req in plan.requirements
    )


def _s4_inputs(policy: Policy, facts: ProcedureFacts, v: _Values) -> Section:
    external = set(policy.external_sources)
    sources = tuple(
        (SOURCE_LABEL[s], _code(s.value),
         "yes: reporter named, acknowledged" if s.value in external else "no")
        for s in IntakeSource
    )  # fmt: skip
    url = policy.procedure.cvd_policy_url
    cvd = (
        Paragraph(f"The coordinated vulnerability disclosure policy, with the channel for "
                  f"reports, is published at {url}.")
        if url
        else Paragraph("Manual: the policy gives no address of the coordinated vulnerability "
                       "disclosure policy ([procedure] cvd_policy_url); the organisation publishes "
                       "it and names the channel for reports there.", note=True)
    )  # fmt: skip
    cadence = _cadence_rows(facts)
    surface = ", ".join(t.value for t in SURFACE_CHANGE_TYPES)
    plan_blocks: tuple[Paragraph | Table, ...]
    if cadence:
        plan_blocks = (Table(("Product", "Activity", "Cadence", "Independent performer"),
                             cadence, (3, 2, 4, 2),
                             "Test plans in force (psirt plan set)"),)  # fmt: skip
    else:
        plan_blocks = (Paragraph("Manual: no test plan is recorded in psirt, so `psirt "
                                 "activities due` reports nothing due. The organisation records "
                                 "one per product with `psirt plan set`.", note=True),)  # fmt: skip
    kinds = ", ".join(t.value for t in ActivityType)
    return Section(
        "4",
        "Inputs",
        (
            Paragraph(
                "Every report or finding is recorded as a security issue with the intake "
                "record R1: its source (IEC 81001-5-1 9.2 a to g), T0 (`learned_at`), the "
                "channel and the affected product releases (enforced). For the sources the "
                "policy names as external the reporter is recorded and must be acknowledged "
                f"within {v.show('intake.ack_business_days')} business days {D} of T0 before "
                "triage (enforced, section 15)."
            ),
            Table(("Source (9.2)", "Value", "External"), sources, (5, 3, 3), "Intake sources"),
            cvd,
            Paragraph(
                "Vulnerability feeds: OSV, NVD (CVE API 2.0), CVE JSON 5, CISA KEV and FIRST "
                "EPSS are imported with `psirt feed import`. Each import re-matches the stored "
                "components of every release against the advisories it added or changed and "
                "records new findings with their first-seen time; a released or fielded release "
                "that becomes affected, and a finding that gets KEV-listed, raise a monitoring "
                "event (`psirt events list`). A finding becomes a security issue with "
                "`psirt issue new --from-finding`, T0 being when it was first seen."
            ),
            Paragraph(
                "Manual: psirt imports feeds when it is told to; the organisation runs the "
                "feed import and reviews the monitoring events at the frequency of its "
                "cybersecurity management plan, and turns each relevant event into a security "
                "issue or a reopening.",
                note=True,
            ),
            Paragraph(
                f"Proactive identification (IEC 81001-5-1 5.7): activities of the types {kinds} "
                "are recorded with tool, scope, performer, independence and dates (`psirt "
                "scans import`, `psirt activities record`). Each finding of a scan keeps its "
                "identity across runs and is dispositioned with `psirt scans dispose` (promoted "
                "to an issue, attached, false positive or not applicable with a rationale, "
                "duplicate, accepted with a reference; enforced per kind); `psirt scans findings "
                "--open` lists those without a disposition (Manual: that every finding gets one). "
                "`psirt ci check` fails a build on a new finding at or above a "
                "severity. The test plan of each product says which activities are required "
                "and how often; `psirt activities due` lists what is due and exits 1 when "
                f"something is overdue. A change of a release's attack surface always makes "
                f"{surface} due."
            ),
            *plan_blocks,
        ),
        (f"{I81} 9.2", f"{I81} 6.2.1", f"{I81} 5.7", f"{FDC}(b)(1)", f"{FDAPRE} §VI.B"),
    )


def _s5_triage(policy: Policy) -> Section:
    just = ", ".join(_code(j.value) for j in VexJustification)
    triage_who = _rule_text(policy.approvals[ApprovalKind.TRIAGE])[0]
    na = policy.approvals[ApprovalKind.NOT_AFFECTED]
    analysis_who = _rule_text(policy.approvals[ApprovalKind.ANALYSIS])[0]
    return Section(
        "5",
        "Triage and analysis",
        (
            Paragraph(
                "Triage (R2, IEC 81001-5-1 9.3) establishes whether the issue applies to the "
                "product and whether it can be verified or reproduced, and names related "
                "threats and a duplicate if any. Enforced: an applicability rationale and a "
                f"verifiability statement, approved by {triage_who}; for external reporters "
                "the acknowledgement of section 4."
            ),
            Paragraph(
                "An issue that does not apply is closed as not affected with one of the VEX "
                f"justifications {just}, an impact statement, evidence, the author and an "
                "approver. Enforced: evidence given, the approver is not the author and signs "
                f"as one of {', '.join(_code(r.value) for r in na.roles)}; the releases named "
                "must be releases of the issue. A duplicate is closed with the link to the "
                "master issue."
            ),
            Paragraph(
                "Analysis (R3, IEC 81001-5-1 9.4) records the CVSS vector (v3.1 or v4.0), the "
                "exploitation status, automatable, value density and technical impact (SSVC), "
                "the ISO 14971 severity of harm and the hazardous situation, all affected "
                "versions, the root cause and CWE, related issues, the impact on safety and "
                "effectiveness, third-party suppliers whose code is the root cause, the item "
                "class, and the KEV, EPSS and NVD snapshot dates. psirt computes the risk "
                "determination and the SSVC priority from these inputs under the policy "
                "(section 6) and refuses an analysis whose computed fields differ "
                f"(enforced). The analysis is approved by {analysis_who}."
            ),
            Paragraph(
                "A computed risk determination may be overridden only with a justification "
                "and the approval of the named approver; the override is kept with the "
                "analysis (enforced)."
            ),
            Paragraph(
                "Enforced before the decision (section 7): a CVSS vector, the affected releases, "
                "the root cause, related issues (an empty list states that none were found), "
                "the safety and effectiveness impact, a risk determination and the KEV "
                "snapshot date, and the EPSS snapshot date when an EPSS score is given."
            ),
        ),
        (f"{I81} 9.3", f"{I81} 9.4", f"{I62} 9.2"),
    )


def _matrix_rows(policy: Policy) -> tuple[tuple[str, ...], ...]:
    rows = []
    for severity in reversed(HarmSeverity):
        cells = [severity.value]
        for e in Exploitability:
            plain = evaluate(RiskInputs(e, severity), policy.risk)
            with_controls = evaluate(
                RiskInputs(e, severity, verified_compensating_controls=("verified",)), policy.risk
            )
            if plain.status.value == with_controls.status.value:
                cells.append(plain.status.value)
            else:
                cells.append(f"{plain.status.value}; {with_controls.status.value} with verified "
                             "compensating controls")  # fmt: skip
        rows.append(tuple(cells))
    return tuple(rows)


def _s6_risk(policy: Policy, v: _Values) -> Section:
    m = policy.risk
    rules = tuple(
        (_code(r.id), ", ".join(s.value for s in r.severities),
         ", ".join(e.value for e in r.exploitabilities),
         "yes" if r.unless_verified_compensating_controls else "no")
        for r in m.rules
    )  # fmt: skip
    hard = (
        "A known serious adverse event or death makes the risk uncontrolled whatever the matrix "
        "says (FDA 2016 §VII.B(1))."
        if m.adverse_event_is_uncontrolled
        else "The policy does not make a known serious adverse event uncontrolled by itself "
        "(risk.adverse_event_is_uncontrolled = false); FDA 2016 §VII.B(1) closes the 806 "
        "non-enforcement route in that case, which the reportability gate still enforces."
    )
    adjust = [
        f"Base exploitability from the CVSS exploitability sub-score: high at "
        f"{v.show('risk.cvss_high_at')} or more, medium at {v.show('risk.cvss_medium_at')} or "
        f"more, else low {D}; or as the analysis states it.",
    ]
    sets = []
    if m.kev_sets_high:
        sets.append("KEV listing")
    if m.active_exploitation_sets_high:
        sets.append("active exploitation")
    sets.append(f"EPSS at or above {v.show('risk.epss_set_high_at')}")
    adjust.append(f"Set to high by: {', '.join(sets)} (SSVC example rules {D}).")
    adjust.append(f"Otherwise raised by {v.show('risk.public_poc_raise_levels')} level(s) for a "
                  f"public proof of concept, by {v.show('risk.epss_raise_levels')} for EPSS at or "
                  f"above {v.show('risk.epss_raise_at')} {D}.")  # fmt: skip
    adjust.append(f"Lowered by {v.show('risk.verified_control_lower_levels')} level(s) per "
                  f"verified device-side control {D}.")  # fmt: skip
    adjust.append(f"Severity raised by {v.show('risk.multi_patient_raise_levels')} level(s) when "
                  f"harm to several patients is possible ({FDAPRE} §V.B.2(b)); a "
                  "confidentiality-only issue is no patient harm and is controlled (FDA 2016 "
                  "§IV.F).")  # fmt: skip
    return Section(
        "6",
        "Risk evaluation method",
        (
            Paragraph(
                "Each issue gets a binary determination, controlled or uncontrolled, from the "
                "exploitability of the vulnerability and the severity of patient harm on the "
                "ISO 14971 five-level scale (FDA 2016 §VI). psirt computes it when the analysis "
                "is recorded (enforced, section 5). The matrix below is the policy's; it is "
                f"the manufacturer's own choice {D}: the FDA figure is an example only."
            ),
            Bullets(tuple(adjust)),
            Table(
                (
                    "Rule",
                    "Severity",
                    "Exploitability",
                    "Not applied with verified compensating controls",
                ),
                rules,
                (5, 3, 2, 2),
                "Uncontrolled when (policy [risk.uncontrolled])",
            ),
            Table(
                ("Severity", "Exploitability low", "medium", "high"),
                _matrix_rows(policy),
                (2, 3, 3, 3),
                "The matrix as psirt evaluates it (otherwise controlled)",
            ),
            Paragraph(hard),
            Paragraph(
                "Compensating controls count only with evidence that users can and do apply "
                "them: device-side controls and compensating controls are listed in the "
                "analysis as verified ones."
            ),
            Paragraph(
                "The evaluation feeds the ISO 14971 risk management file: the analysis records "
                "the hazardous situation and hazard references, and closure requires the "
                "reference of the updated risk management file (section 13). Manual: the "
                "overall benefit-risk judgement at product level (MDCG 2019-16 §3.5) and the "
                "secondary-risk analysis of new controls are made in the risk management file.",
                note=True,
            ),  # fmt: skip
            Paragraph(
                "SSVC priority (CERT/CC supplier tables) is computed from exploitation (raised "
                f"to active by KEV listing, by EPSS above {v.show('ssvc.epss_active_above')}, or "
                f"with a public proof of concept and EPSS at or above "
                f"{v.show('ssvc.epss_poc_active_at')}; raised one level at "
                f"{v.show('ssvc.epss_bump_at')}), automatable, value density, technical impact "
                "and public safety impact (severity serious or worse is significant "
                f"{D}). An uncontrolled risk gets at least "
                f"{_code(policy.uncontrolled_ssvc_min.value)} ({FDC}(b)(2)(B))."
            ),
        ),
        (f"{I81} 7.3", f"{I14} 10.4", f"{FDA16} §VI", f"{MDCG} §3.2, §3.5"),
    )


def _s7_decide(policy: Policy, v: _Values) -> Section:
    decision_who = _rule_text(policy.approvals[ApprovalKind.DECISION])[0]
    kinds = (
        (DisclosureKind.DISCLOSE_PUBLIC_ADVISORY, "public advisory; closure needs the advisory id "
         "of a release record"),
        (DisclosureKind.DISCLOSE_TARGETED_CUSTOMERS, "notice to the affected customers; closure "
         "needs a customer notice"),
        (DisclosureKind.DISCLOSE_REGULATOR_ONLY, "to regulators only; closure needs a submitted "
         "report"),
        (DisclosureKind.NO_DISCLOSURE, "only for a controlled risk, with the rationale"),
        (DisclosureKind.DEFER_UNDER_EMBARGO, "with the embargo end; must be decided again before "
         "closure"),
    )  # fmt: skip
    approaches = (
        (ResolutionApproach.FIX, "problem resolution: the product is changed"),
        (ResolutionApproach.ENVIRONMENT_OF_USE_UPDATE, "updated intended environment of use "
         "specification instead of a change"),
        (ResolutionApproach.INTERIM_ENVIRONMENT_THEN_FIX, "environment of use now, change later"),
        (ResolutionApproach.ACCEPT_RESIDUAL_RISK, "residual risk accepted (R15, section 13)"),
    )  # fmt: skip
    uncontrolled = [
        "no_disclosure is refused",
    ]
    if policy.uncontrolled_requires_customer_audience:
        uncontrolled.append(f"the audiences include {_code(Audience.USERS.value)} (customers)")
    if policy.uncontrolled_release_vehicle == ReleaseVehicle.OUT_OF_CYCLE.value:
        uncontrolled.append(f"the release vehicle is {_code('out_of_cycle')} ({FDC}(b)(2)(B))")
    if not policy.allow_accepting_uncontrolled_risk:
        uncontrolled.append("accepting the residual risk is refused (FDA 2016 §VII.B: an "
                            "uncontrolled risk is remediated)")  # fmt: skip
    else:
        uncontrolled.append(
            f"accepting the residual risk is allowed by this policy "
            f"(gates.allow_accepting_uncontrolled_risk{v.changed('gates.allow_accepting_uncontrolled_risk')})"
        )  # noqa: E501
    uncontrolled.append("a reportability record R7 exists (section 12)")
    return Section(
        "7",
        "Deciding how to address an issue",
        (
            Paragraph(
                "After analysis the design authority, the security risk owner and the safety "
                "risk manager decide, in one step (`psirt issue decide`), whether to disclose "
                "the issue (R4, IEC 81001-5-1 4.1.7) based on its impact and the acceptable "
                "residual risk, and whether to address it by problem resolution or by an "
                "updated intended environment of use specification (R5), and they record which "
                "other products and releases were checked (R12, section 9). Enforced: both "
                f"decisions approved by {decision_who}."
            ),
            Table(
                ("Disclosure decision (R4)", "Condition"),
                tuple((_code(k.value), t) for k, t in kinds),
                (2, 5),
            ),  # fmt: skip
            Table(
                ("Resolution approach (R5)", "Meaning"),
                tuple((_code(a.value), t) for a, t in approaches),
                (2, 5),
            ),  # fmt: skip
            Paragraph(
                "Each affected release gets its own resolution (R5 names its releases; one "
                "without releases covers every affected release): a release in the field may be "
                "fixed while another stays under an updated environment of use. Enforced: every "
                "affected release has a resolution, no release has two. "
                "Enforced for every decision: a rationale for each record; the embargo end "
                "when disclosure is deferred; a target date unless the residual risk is "
                "accepted; for the regular release cycle, the reference of the justification "
                f"of that cycle in the cybersecurity management plan ({FDC}(b)(2)(A)); R12 "
                "with its query and the releases checked; a third-party notice to every "
                "supplier the analysis names (section 9)."
            ),
            Paragraph("Enforced when the risk is uncontrolled: " + "; ".join(uncontrolled) + "."),
            Paragraph(
                "Enforced for an environment-of-use approach: the environment document and "
                "its version, the requirements it adds, evidence that the risk becomes "
                "acceptable, why the intended users can apply it, the labelling or security "
                "guide update; and, when the environment replaces a product change, why an "
                "environment control may compensate for a device vulnerability (MDCG 2019-16 "
                "§3.6)."
            ),
            Table(
                ("SSVC priority", "Interim notice due", "Fix due", "Re-review"),
                _ssvc_rows(policy, v),
                (2, 2, 2, 2),
                f"Target dates per SSVC priority from T0 (policy [timers.ssvc_*] {D})",
            ),
            Paragraph(
                "Manual: whether a product change needs a new premarket submission (510(k), "
                "PMA supplement) or an EU significant-change assessment is assessed in the "
                "change impact review (section 8) and the reportability record (section 12).",
                note=True,
            ),  # fmt: skip
        ),
        (f"{I81} 9.5", f"{I81} 4.1.7", f"{FDC}(b)(2)"),
    )


def _ssvc_rows(policy: Policy, v: _Values) -> tuple[tuple[str, ...], ...]:
    t = policy.timers
    rows = []
    for prio in SsvcDecision:
        key = prio.value

        def cell(table: Mapping[SsvcDecision, int], path: str, prio: SsvcDecision = prio,
                 key: str = key) -> str:  # fmt: skip
            if prio not in table:
                return "none"
            return f"{_days(table[prio])}{v.changed(f'{path}.{key}')}"

        review = cell(t.ssvc_review_days, "timers.ssvc_review_days")
        if prio is SsvcDecision.DEFER:
            review = f"at every release gate and within {review}"
        rows.append((_code(key), cell(t.ssvc_interim_days, "timers.ssvc_interim_days"),
                     cell(t.ssvc_fix_days, "timers.ssvc_fix_days"), review))  # fmt: skip
    return tuple(rows)


def _s8_change(policy: Policy) -> Section:
    aspects = policy.required_review_aspects
    optional = [a.value for a in ReviewAspect if a.value not in aspects]
    return Section(
        "8",
        "Change impact review",
        (
            Paragraph(
                "A product change starts with a change request (`psirt issue remediate`: change "
                "request id and description, enforced while a release resolved by a fix is left "
                "to fix; IEC 62304 9.4, change control). Every change made to address an issue is "
                "reviewed "
                "for its impact on safety, security and effectiveness before it is verified "
                "(R6, `psirt issue review-change`)."
            ),
            Paragraph(
                "Enforced: the R6 covering a release names the change request it reviewed, "
                "which must be one recorded for the issue, and has, for each of the aspects "
                f"{', '.join(_code(a) for a in aspects)} (policy change_review.required_aspects), "
                "a reviewer, the verdict approved and that reviewer's signature (reviewed or "
                "approved) over the review; psirt refuses verification until a release being "
                "fixed has it, and checks each fixed release's own R6 again at closure."
                + (
                    f" The aspects {', '.join(_code(a) for a in optional)} may be recorded as well."
                    if optional
                    else ""
                )
                + (
                    " An update of the intended environment of use needs the same review of the "
                    "releases it covers (policy gates.environment_update_change_review)."
                    if policy.environment_update_change_review
                    else " Manual: an update of the intended environment of use is not required "
                    "to have an R6 by this policy (gates.environment_update_change_review = "
                    "false); the change of the environment document is reviewed under document "
                    "control."
                )
            ),
            Bullets(
                (
                    "Safety: new hazards or hazardous situations, risk control measures touched "
                    "in the "
                    "ISO 14971 risk management file.",
                    "Security: new attack surface, regressions of security controls, secondary "
                    "risks of "
                    "the new control.",
                    "Effectiveness: essential performance and clinical function.",
                    "Regulatory: whether a premarket submission or an EU significant-change "
                    "assessment "
                    "is needed; labelling, instructions for use and security guide changes; the "
                    "scope "
                    "of verification and validation.",
                )
            ),
            Paragraph(
                "A review whose verdict for an aspect is rejected sends the change back: a new "
                "review is recorded after the change is reworked (`psirt issue rework` from "
                "verification)."
            ),
        ),
        (f"{I81} 9.5", f"{I62} 9.4", f"{I14} 10.4"),
    )


def _s9_others(policy: Policy) -> Section:
    return Section(
        "9",
        "Other products, revisions and third parties",
        (
            Paragraph(
                "Other products and revisions (R12): at the decision, the cross-product record "
                "names the query used to find the vulnerable component or code elsewhere, every "
                "product release checked, those found affected, the issues opened or linked for "
                "them, and whether products in development were included (FDA 2016 §X.B.v). "
                "Enforced: the query and at least one release checked, before the decision and "
                "again before closure. psirt matches every stored release against the same "
                "knowledge base, so `psirt findings list` (all products and releases, "
                "`--format json`) is the portfolio query for components in an SBOM."
            ),
            Paragraph(
                "Manual: the processes of the other products are informed by opening or "
                "linking a security issue for each affected product line; psirt records the "
                "links in R12 but does not open the issues by itself. Code that is not in an "
                "SBOM (copied code, shared modules) is searched outside psirt and the search "
                "named in the query.",
                note=True,
            ),
            Paragraph(
                "Third parties (R8, third party): when the analysis names a supplier whose "
                "code is the root cause (third-party source code used with the supported "
                "product), the supplier is informed. Enforced: a third-party notice (supplier, "
                "channel, time sent) for every named supplier before the decision, and before "
                "closure its acknowledgement time or a documented non-response; follow-ups are "
                "recorded with the notice."
            ),
        ),
        (f"{I81} 9.5", f"{I62} 9.3", f"{FDA16} §X.B.v"),
    )


def _s10_release(policy: Policy) -> Section:
    verify_who = _rule_text(policy.approvals[ApprovalKind.VERIFICATION])
    release_who = _rule_text(policy.approvals[ApprovalKind.RELEASE])[0]
    rescan = (
        "the fixed release has a stored SBOM that psirt scanned (policy gates.require_rescan)"
        if policy.require_rescan
        else "a fixed release without a stored, scanned SBOM is let through (the policy does "
        "not require one: gates.require_rescan = false)"
    )
    return Section(
        "10",
        "Remediation, patch validation and release",
        (
            Paragraph(
                "Verification (R9; IEC 81001-5-1 6.2.2; IEC 62304 9.7 and 9.8) shows that the "
                "change closes the vulnerability and breaks nothing: the software version, the "
                "targeted test and its result, the regression suite and its result, the tester "
                "and their independence, the threat-mitigation test, anomalies and a conclusion. "
                "psirt computes the re-scan itself from the stored findings of the release the "
                "software version names (its newest SBOM, the last SBOM scan, what still matches "
                "any id of the issue's alias group); it is not typed in. Enforced when "
                "verification is recorded: the change impact review (section 8), for an "
                "uncontrolled risk an interim customer notice with the four FDA elements "
                "(section 11), the tester and the software version, no finding of the fixed "
                f"release still matching the issue, and {rescan}."
            ),
            Paragraph(
                "Enforced before the issue is released (`psirt issue release`): the targeted "
                "test and the regression suite passed, the computed re-scan still clean, the "
                "tester's independence recorded, the verification being of the release that is "
                f"released, and R9 approved by {verify_who[0]}"
                + (", not its author" if verify_who[1] != "no" else "")
                + ". Verification that "
                "fails goes back to remediation (`psirt issue rework`, with the reason)."
            ),
            Table(
                ("Item class", "Enforced at release"),
                (
                    (
                        _code(ItemClass.MAINTAINED.value),
                        "the update is made available and how its "
                        "integrity is verifiable is stated (6.3.2, 6.3.3)",
                    ),
                    (
                        _code(ItemClass.SUPPORTED.value),
                        "a customer notice exists and the release states compatibility (6.3.1)",
                    ),
                    (
                        _code(ItemClass.REQUIRED.value),
                        "compensating-control requirements and the "
                        "residual-risk disclosure are stated (5.2.3)",
                    ),
                ),
                (2, 6),
                "Obligations by item class (the class must be known)",
            ),  # fmt: skip
            Paragraph(
                "The release record (R10) gives the statuses of the product releases (fixed, "
                "not affected ...), the advisory id when the decision was a public advisory, "
                "and the regulatory filings; psirt adds the fixed release's SBOM document and "
                "digest, the issue's component as that SBOM lists it, and the VEX statuses it "
                "computes from the release matrix. Enforced: release statuses of releases of the "
                "issue, fixed only where the release's resolution is a fix; the advisory id for "
                "a public advisory; a claim that the SBOM or the VEX was updated is refused when "
                "the store contradicts it; the submission dates of 806, 803 or MDR Art. 87 "
                f"reports chosen in R7; approval by {release_who}."
            ),
            Paragraph(
                "Manual: building, signing and distributing the update, and writing the "
                "advisory (CSAF security advisory or the format R4 names) happen outside "
                "psirt; psirt records their references.",
                note=True,
            ),
        ),
        (f"{I81} 6.2.2", f"{I81} 6.3", f"{I62} 9.7", f"{I62} 9.8"),
    )


def _s11_communication(policy: Policy) -> Section:
    audiences = ", ".join(_code(a.value) for a in Audience)
    return Section(
        "11",
        "Communication and coordinated disclosure",
        (
            Paragraph(
                f"The disclosure decision (R4) names the audiences ({audiences}), the embargo "
                "end, the "
                "coordinated parties, the CVE id, the advisory format and the reporter's "
                "credit. A disclosure tells at least: a description, the CVSS score and vector, "
                "the affected versions and the resolution or mitigation with compensating "
                "controls (IEC 81001-5-1 4.1.7)."
            ),
            Paragraph(
                "Customer notices (R8, customer) record the recipients, the time sent and the "
                "content. Enforced: a notice states the description and impact; for an "
                "uncontrolled risk an interim notice with the four elements of FDA 2016 "
                "§VII.B(2) (description and impact, efforts under way, compensating controls, "
                "statement that a fix or defence-in-depth strategy will follow) before the "
                f"change is verified, due {_days(policy.timers.uncontrolled_comms_days)} after "
                "T0; for supported software a customer notice before release and before a "
                "risk acceptance."
            ),
            Paragraph(
                "Reporters: external reporters are acknowledged (section 4); the reporter is an "
                "audience of the disclosure when they are to be told the outcome. Disclosure is "
                "complete before closure (enforced, section 13)."
            ),
            Paragraph(
                "Manual: active participation in an ISAO, and sharing customer communications "
                "with it, is the organisation's (FDA 2016 §VII.B(4), §IX); it is evidenced in "
                "R7 when the 806 non-enforcement route is used.",
                note=True,
            ),
        ),
        (f"{I81} 4.1.7", f"{FDA16} §VII.B", "ISO/IEC 29147", f"{FDC}(b)(1)"),
    )


def _s12_regulatory(policy: Policy, v: _Values) -> Section:
    us = ", ".join(_code(r.value) for r in UsRoute)
    eu = ", ".join(_code(r.value) for r in EuRoute)
    ra = _rule_text(policy.approvals[ApprovalKind.REPORTABILITY])[0]
    return Section(
        "12",
        "Regulatory reporting interface",
        (
            Paragraph(
                f"The reportability record (R7) states the risk determination, whether harm is "
                f"known, the US route ({us}) and the EU route ({eu}), with the rationale, report "
                f"numbers, dates and IMDRF codes (A1105x, C1007). It is approved by {ra}."
            ),
            Bullets(
                (
                    "Enforced for an uncontrolled risk: R7 exists before the decision, states the "
                    "risk "
                    "uncontrolled and a US route of 806 report, 806 non-enforcement, 803 or not "
                    "on the "
                    "US market; the non-enforcement route lists the evidence of the four "
                    "conditions of "
                    "FDA 2016 §VII.B.",
                    "Enforced for a known serious adverse event or death: R7 states harm known, "
                    "the US "
                    "route 803 (the 806 non-enforcement route is closed) and the EU route serious "
                    "incident or FSCA under MDR Art. 87 with its category.",
                    "Enforced before release: the submission dates of the 806, 803 and MDR Art. 87 "
                    "reports chosen.",
                    "Deadlines (section 15): 806 report within "
                    f"{v.show('timers.report_806_working_days')} "
                    "working days of the start of the correction (21 CFR 806.10(b)); MDR Art. 87 "
                    "within "
                    f"{v.show('timers.eu_serious_incident_days')} days for a serious incident, "
                    f"{v.show('timers.eu_death_or_deterioration_days')} days for a death or "
                    "unanticipated "
                    f"serious deterioration, {v.show('timers.eu_public_health_threat_days')} days "
                    "for a "
                    "serious public health threat, from awareness.",
                )
            ),
            Paragraph(
                "Manual: the PMA annual report entry (21 CFR 814.84) for controlled risks, the "
                "field safety notice (MDR Art. 89(8)), trend and periodic safety update reports "
                "are prepared by regulatory affairs; R7 records the route chosen.",
                note=True,
            ),
        ),
        (f"{FDA16} §VII", "21 CFR 806.10", "MDR Art. 87", f"{MDCG} §5"),
    )


def _s13_closure(policy: Policy) -> Section:
    closure_who = _rule_text(policy.approvals[ApprovalKind.CLOSURE])
    accept_who = _rule_text(policy.approvals[ApprovalKind.RISK_ACCEPTANCE])
    triggers = ", ".join(_code(t.value) for t in ReopenTrigger)
    return Section(
        "13",
        "Post-fix verification and closure",
        (
            Paragraph(
                "After release the issue is monitored (R11, `psirt issue monitor`): how the "
                "effectiveness of the fix was checked and the result (enforced), the deployment "
                "rate (0 to 1), residual exposure of the unpatched installed base, follow-ups "
                "and the date of the exploitation re-check."
            ),
            Paragraph(
                "Closure (R16, `psirt issue close`). Enforced: the resolution of every affected "
                "release passed its own gate (a fix: the change request, the R6 covering the "
                "release, an R10 marking it fixed and the R9 of that release; an "
                "environment-of-use update: the versioned document and its justifications, the "
                "R6 and the customer notice covering the release as the policy and item class "
                "require; an accepted risk: the R15 covering it, with its approvals); the "
                "disclosure done as decided (section 7); every third-party notice acknowledged "
                "or its non-response documented; the cross-product record (R12); the reference "
                "of the updated risk management file and the problem report closed (IEC 62304 "
                "9.5, 9.7); "
                f"approval by {closure_who[0]}"
                + (", not the author" if closure_who[1] != "no" else "")
                + "."
            ),
            Paragraph(
                "Risk acceptance (R15, `psirt issue accept-risk`) names the releases it covers; "
                "when every affected release is resolved so, the issue stays open as "
                "OPEN_ACCEPTED, otherwise the record is added while the other releases follow "
                "their own path. An issue with no release to fix closes from DECISION. Enforced: "
                "the resolution of each release covered is accept_residual_risk; the risk is "
                "controlled"
                + (
                    ""
                    if not policy.allow_accepting_uncontrolled_risk
                    else " (or, as this policy allows, uncontrolled)"
                )
                + "; the residual-risk statement, compensating controls, evidence of controlled "
                "risk, the reference of the information to users, the approver and a review "
                f"date in the future; the item-class obligations; approval by {accept_who[0]}"
                + (", not the author" if accept_who[1] != "no" else "")
                + ". The review date "
                "is a deadline (section 15) and the issue is reviewed at every release gate "
                "(section 14)."
            ),  # fmt: skip
            Paragraph(
                f"An issue in monitoring or accepted is reopened ({triggers}) with the details "
                "(enforced) and goes back to analysis; the KEV listings and affected-release "
                "events psirt raises (section 4) are the usual triggers."
            ),
        ),
        (f"{I62} 9.7", f"{I81} 9.2", f"{I14} 10.4"),
    )


def _s14_review(policy: Policy, v: _Values) -> Section:
    gate_who, gate_indep = _rule_text(policy.approvals[ApprovalKind.RELEASE_GATE], author="chair")
    return Section(
        "14",
        "Periodic review of open issues",
        (
            Paragraph(
                "Open issues are reviewed at least at every product release (IEC 81001-5-1 9.5, "
                "4.1.6): the release-gate review (R13a) is a release blocker. Its minutes "
                "(`psirt release review`) name the chair, attendees and their roles, and give "
                "for every open issue of the product (every state but CLOSED, "
                "CLOSED_NOT_AFFECTED and CLOSED_DUPLICATE, OPEN_ACCEPTED included) the current "
                "risk re-evaluation, the KEV and EPSS refresh date and the decision: fix in "
                "this release, deferred (with the target release), risk accepted (until a "
                "date) or escalate."
            ),
            Bullets(
                (
                    "Enforced by `psirt release approve`: an entry for every open issue of the "
                    "product, in the state the issue has now; minutes and attendees, the chair "
                    "among them; the chair's authored signature; approval by "
                    f"{gate_who}" + (f" ({gate_indep})" if gate_indep != "no" else "") + ".",
                    "Enforced: every KEV-listed vulnerability found in the release is assessed "
                    "not applicable or mitigated, with a rationale and a reference (an issue or a "
                    f"VEX justification) ({FDAPRE} §V.A.2).",
                    *_gate_blockers(policy, v),
                    "Enforced: a release enters released or fielded (`psirt release status`) only "
                    "through an approved gate or an override with a justification. A release "
                    "moved there past the gate, or registered as already released or fielded "
                    "(`psirt release add --status fielded`), is recorded as registered without "
                    "review; the product's next review must list it with notes and every open "
                    "issue it has, or that gate is refused.",
                    "`psirt release gate` shows, at any time, what the gate sees and what is "
                    "missing.",
                )
            ),
            Paragraph(
                f"Process review (IEC 81001-5-1 4.1.8): at least every "
                f"{v.show('timers.process_review_days')} days {D} the PSIRT lead and management "
                "review the issues since the last review: whether handling was complete and "
                "efficient and led to resolution, deadlines missed, and the FDA metrics "
                "(percentage of vulnerabilities patched, time from identification to patch, time "
                "from availability to full deployment), with improvement actions."
            ),
            Paragraph(
                "Manual: psirt does not schedule or record the process review; its minutes "
                "and improvement actions are kept in the quality system. The issue list, the "
                "deadlines and the audit log of psirt are its inputs.",
                note=True,
            ),
        ),
        (f"{I81} 9.5", f"{I81} 4.1.6", f"{I81} 4.1.8"),
    )


def _gate_blockers(policy: Policy, v: _Values) -> list[str]:
    """What else blocks the release gate, as the policy's [release_gate] says."""
    g = policy.release_gate
    out = []
    if g.untriaged_sbom_findings:
        unknown = ", or without a severity," if g.unknown_severity_blocks else ""
        out.append(
            "Enforced: no active SBOM finding of the release at or above "
            f"{v.show('release_gate.sbom_findings_at')}{unknown} {D} stands without a security "
            "issue it is attached to."
        )
    else:
        out.append("Not checked at the gate (release_gate.untriaged_sbom_findings = false): "
                   "SBOM findings without a security issue.")  # fmt: skip
    if g.undispositioned_scan_findings:
        out.append(
            "Enforced: no open scanner finding of the release at or above "
            f"{v.show('release_gate.scan_findings_at')} {D} stands without a disposition."
        )
    else:
        out.append("Not checked at the gate (release_gate.undispositioned_scan_findings = "
                   "false): scanner findings without a disposition.")  # fmt: skip
    if g.overdue_activities:
        out.append(
            f"Enforced {D}: no activity of the product's test plan is overdue, and none is due "
            "for the release itself (section 4)."
        )
    else:
        out.append("Not checked at the gate (release_gate.overdue_activities = false): "
                   "activities due under the test plan.")  # fmt: skip
    return out


def _timer_row(ident: str, what: str, due: str, key: str, source: str, how: str,
               v: _Values) -> tuple[str, ...]:  # fmt: skip
    limit = REGULATORY_LIMIT.get(key)
    shown = v._get(v.doc, key) if key else None
    if limit is not None and isinstance(shown, int) and shown > limit:
        due += f" (longer than the {limit} the regulation allows)"
    label = f"{what} ({_code(ident)})" if ident.isupper() else f"{what} {ident}"
    shown_key = key.removeprefix("timers.")
    return (label, due, _code(shown_key) if key else "", source, how)


def _s15_timelines(policy: Policy, v: _Values) -> Section:
    ack = v.show("intake.ack_business_days")
    rows = [
        _timer_row("ACK", "acknowledge an external reporter", f"{ack} business days from T0",
                   "intake.ack_business_days", f"{D}; FDA 2016 §X.C.i asks for a specified time",
                   "blocks triage until acknowledged in time", v),
        _timer_row("TRIAGE", "triage (9.3)", f"{v.show('timers.triage_days')} days from T0",
                   "timers.triage_days", f"{D}; 9.3 asks for timely", "shown, overdue flagged", v),
        _timer_row("ANALYSIS", "analysis (9.4)", f"{v.show('timers.analysis_days')} days from T0",
                   "timers.analysis_days", f"{D}", "shown, overdue flagged", v),
        _timer_row("US_UNCONTROLLED_COMMS", "uncontrolled: customer communication, interim "
                   "controls, remediation plan", f"{v.show('timers.uncontrolled_comms_days')} days "
                   "from T0", "timers.uncontrolled_comms_days", "FDA 2016 §VII.B(2)",
                   "shown; interim notice required before verification", v),
        _timer_row("US_UNCONTROLLED_FIX", "uncontrolled: fix validated and distributed",
                   f"{v.show('timers.uncontrolled_fix_days')} days from T0",
                   "timers.uncontrolled_fix_days", "FDA 2016 §VII.B(3)",
                   "shown, overdue flagged", v),
        _timer_row("SSVC_*", "interim notice and fix by SSVC priority", "section 7 table",
                   "timers.ssvc_fix_days", f"{D}", "shown, overdue flagged", v),
        _timer_row("US_806_REPORT", "21 CFR 806 report",
                   f"{v.show('timers.report_806_working_days')} working days from the start of "
                   "the correction", "timers.report_806_working_days", "21 CFR 806.10(b)",
                   "shown; submission date required before release", v),
        _timer_row("EU_SERIOUS_INCIDENT", "MDR serious incident report",
                   f"{v.show('timers.eu_serious_incident_days')} days from awareness",
                   "timers.eu_serious_incident_days", "MDR Art. 87(3)",
                   "shown; submission date required before release", v),
        _timer_row("EU_DEATH_OR_SERIOUS_DETERIORATION", "MDR report: death or unanticipated "
                   "serious deterioration", f"{v.show('timers.eu_death_or_deterioration_days')} "
                   "days from awareness", "timers.eu_death_or_deterioration_days",
                   "MDR Art. 87(5)", "shown; submission date required before release", v),
        _timer_row("EU_PUBLIC_HEALTH_THREAT", "MDR report: serious public health threat",
                   f"{v.show('timers.eu_public_health_threat_days')} days from awareness",
                   "timers.eu_public_health_threat_days", "MDR Art. 87(4)",
                   "shown; submission date required before release", v),
        _timer_row("RISK_ACCEPTANCE_REVIEW", "re-review an accepted residual risk",
                   "the review date of R15", "", "R15 (section 13)", "shown, overdue flagged", v),
        _timer_row("(critical, uncontrolled)", "patch of a cyber device", "as soon as possible, "
                   "out of cycle", "risk.floor.uncontrolled_release_vehicle", f"{FDC}(b)(2)(B)",
                   "out-of-cycle release vehicle and SSVC floor (section 7)", v),
        _timer_row("(known unacceptable)", "patch of a cyber device", "reasonably justified "
                   "regular cycle", "", f"{FDC}(b)(2)(A)",
                   "justification reference required for the regular cycle", v),
        _timer_row("(release gate)", "review of open issues", "every product release", "",
                   f"{I81} 9.5", "blocks release approval (section 14)", v),
        _timer_row("(test plans)", "proactive testing", "the cadence of each test plan", "",
                   f"{FDAPRE} §V.C", "`psirt activities due` exits 1 when overdue", v),
        _timer_row("PROCESS_REVIEW", "process review (4.1.8)",
                   f"{v.show('timers.process_review_days')} days", "timers.process_review_days",
                   f"{D}; 4.1.8 periodic", "Manual: not tracked by psirt", v),
    ]  # fmt: skip
    return Section(
        "15",
        "Timelines",
        (
            Paragraph(
                "psirt computes the due date of every deadline of an issue from T0 (or the "
                "event named) and shows met, open and overdue ones (`psirt issue show`, `psirt "
                "issue deadlines`, `psirt issue list --overdue`). Values marked "
                f"{D} are the manufacturer's choices; the others come from the regulation "
                "named. A value the policy changes from the shipped default says so."
            ),
            Table(
                (
                    "Deadline",
                    "Due",
                    "Policy key ([timers] unless named)",
                    "Source",
                    "What psirt does",
                ),
                tuple(rows),
                (10, 6, 9, 6, 7),
                "Deadlines",
            ),
            Paragraph(
                "Manual: a missed deadline does not stop the lifecycle (except the reporter "
                "acknowledgement, which blocks triage); the PSIRT lead escalates an overdue "
                "deadline to management, and the process review (section 14) examines every "
                "breach.",
                note=True,
            ),
        ),
        (f"{I81} 6.1.1", f"{FDA16} §VII.B", f"{FDC}(b)(2)", "21 CFR 806.10(b)", "MDR Art. 87"),
    )


RECORDS: tuple[tuple[str, str, str], ...] = (
    ("R1 intake", "source, T0, reporter, channel, affected releases", "psirt issue new"),
    ("R2 triage", "applicability, verifiability, related threats", "psirt issue triage"),
    ("R3 analysis", "scores, harm, risk determination, SSVC, snapshots", "psirt issue analyze"),
    ("R4 disclosure decision", "decision, audiences, embargo, CVE", "psirt issue decide"),
    ("R5 resolution approach", "approach, release vehicle, target, environment of use",
     "psirt issue decide"),
    ("R6 change impact review", "aspects, reviewers, verdicts", "psirt issue review-change"),
    ("R7 reportability", "US and EU routes, submissions", "psirt issue attach"),
    ("R8 notifications", "reporter acknowledgement, third party, customer notices",
     "psirt issue attach"),
    ("R9 verification", "tests, re-scan, tester independence", "psirt issue verify"),
    ("R10 release and advisory", "release statuses, advisory, integrity, filings",
     "psirt issue release"),
    ("R11 post-fix monitoring", "effectiveness, deployment, residual exposure",
     "psirt issue monitor"),
    ("R12 other products and revisions", "query, releases checked, linked issues",
     "psirt issue decide"),
    ("R13a release-gate review", "open issues and KEV findings of a release, sign-off",
     "psirt release review"),
    ("R14 proactive activities", "tool, scope, performer, findings, dispositions",
     "psirt scans import"),
    ("R15 risk acceptance", "residual risk, controls, review date", "psirt issue accept-risk"),
    ("R16 closure", "risk management file reference, problem report closed",
     "psirt issue close"),
)  # fmt: skip


def _s16_records(policy: Policy, v: _Values) -> Section:
    rows = tuple((name, content, _code(cmd)) for name, content, cmd in RECORDS)
    return Section(
        "16",
        "Records and retention",
        (
            Paragraph(
                "The records of this procedure are kept in psirt. Records are evidence: they "
                "are appended and never changed or deleted; each decision stores the digest "
                "of the policy it was made under, and the policy itself is kept in the audit "
                "trail the first time a decision is made under it."
            ),
            Table(("Record", "Content", "Recorded with"), rows, (3, 4, 3), "Records"),
            Paragraph(
                "Every change is an event of a hash-chained audit trail, and every evidence "
                "table is sealed in it: `psirt audit verify` detects an edited, deleted or "
                "inserted record or event, and, against a head exported with `psirt audit "
                "head` and kept elsewhere, a cut-off tail. Each release-gate review, decision "
                "and version of this procedure is traceable to its signatures."
            ),
            Paragraph(
                f"Retention: records are kept at least {v.show('procedure.retention_years')} "
                f"years after the last device of the product is placed on the market {D} "
                "(the period MDR Art. 10(8) sets for technical documentation; 15 years for "
                "implantable devices). psirt deletes no record. Manual: backups of the psirt "
                "database and the exported audit head are kept for that period.",
                note=False,
            ),  # fmt: skip
            Paragraph(
                "Traceability to the risk management file and the design history file: the "
                "analysis names hazards and hazard references, closure names the risk "
                "management file update, change impact reviews name the change request."
            ),
        ),
        (f"{I62} 9.5", f"{I14} 10", f"{FDAPRE} §V.A"),
    )


SUB_95: tuple[tuple[str, str, str], ...] = (
    ("Address security-related issues; decide whether to disclose (4.1.7)",
     "7, 11", "R4 with rationale, approved; no_disclosure only for controlled risk"),
    ("Problem resolution or updated intended environment of use", "7, 8",
     "R5 with the environment-of-use evidence; change request"),
    ("Review changes for impact on safety, security, effectiveness", "8",
     "R6 with every required aspect approved and signed before verification"),
    ("Inform the processes of other products and revisions", "9", "R12 before the decision"),
    ("Inform third parties of problems in their code", "9",
     "R8 third-party notice before the decision; acknowledged before closure"),
    ("Review open issues periodically, at least at each product release", "14",
     "R13a covering every open issue before a release is approved"),
)  # fmt: skip


def _annex_a(sections: Sequence[Section]) -> Section:
    where: dict[str, list[str]] = {}
    for s in sections:
        for clause in s.clauses:
            where.setdefault(clause, []).append(s.number)
    rows = tuple((c, ", ".join(n)) for c, n in sorted(where.items()))
    return Section(
        "A",
        "Clause cross-reference",
        (
            Table(
                ("Requirement of IEC 81001-5-1 9.5", "Section", "What psirt enforces"),
                SUB_95,
                (5, 1, 5),
                "IEC 81001-5-1 9.5, item by item",
            ),
            Table(("Clause", "Sections"), rows, (5, 2), "Clauses and the sections that serve them"),
            Paragraph(
                "The requirement's own mapping cites ISO 14971 §9.1 and IEC 62304 §9.8. In ISO "
                "14971:2019 clause 9 is the risk management review and has no 9.1; the "
                "post-production actions are clause 10 (10.4). IEC 62304 9.8 is the content "
                "of test documentation, served by the verification record (section 10); the "
                "problem resolution process of IEC 62304 is 9.2 to 9.7. Both readings are "
                "listed above."
            ),
        ),
        annex=True,
    )


def _annex_b() -> Section:
    return Section(
        "B",
        "Forms and record files",
        (
            Paragraph(
                "The record files of `psirt issue` (TOML or JSON, one per step) are described "
                "in docs/issue-records.md of psirt; the release-gate minutes in "
                "docs/release-gate.md; test plans and attack surfaces in "
                "src/psirt/domain/activity.py; the penetration-test template in "
                "src/psirt/ingest/scans/pentest.py. `psirt issue show` prints every record, "
                "signature and deadline of an issue."
            ),
            Paragraph(
                "The cybersecurity management plan (FDA premarket guidance §VI.B) refers to "
                "this procedure for its elements: personnel (section 3), monitoring sources "
                "and frequency (section 4), KEV (sections 6 and 14), periodic testing "
                "(section 4), timelines (section 15), coordinated disclosure and customer "
                "communication (section 11)."
            ),
        ),
        annex=True,
    )


def procedure_body(policy: Policy, facts: ProcedureFacts) -> dict[str, Any]:
    """The written procedure (title, document id, organisation, sections) as JSON values: what
    a version stores and its body digest covers."""
    v = _Values(policy)
    sections = [
        _s1_scope(policy, facts),
        _s2_definitions(policy),
        _s3_roles(policy),
        _s4_inputs(policy, facts, v),
        _s5_triage(policy),
        _s6_risk(policy, v),
        _s7_decide(policy, v),
        _s8_change(policy),
        _s9_others(policy),
        _s10_release(policy),
        _s11_communication(policy),
        _s12_regulatory(policy, v),
        _s13_closure(policy),
        _s14_review(policy, v),
        _s15_timelines(policy, v),
        _s16_records(policy, v),
    ]
    sections += [_annex_a(sections), _annex_b()]
    return {
        "title": TITLE,
        "document_id": policy.procedure.document_id,
        "organisation": policy.procedure.organisation,
        "sections": [s.to_dict() for s in sections],
    }


# --------------------------------------------------------------------------- the document


@dataclass(frozen=True, slots=True)
class VersionView:
    """One issued version as the title page shows it."""

    version: int
    issued_by: str
    issued_at: dt.datetime
    policy_digest: str
    content_digest: str
    changes: tuple[str, ...]
    note: str


def _sig_rows(signatures: Sequence[Signature]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (_code(s.role.value), s.signer, s.meaning.value,
         s.signed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), s.digest_sha256[:16])
        for s in sorted(signatures, key=lambda s: (s.signed_at, s.signer, s.role.value))
    )  # fmt: skip


def procedure_document(
    body: Mapping[str, Any],
    *,
    version: VersionView | None,
    status: str,
    history: Sequence[VersionView],
    signatures: Sequence[Signature] = (),
    required: str = "",
    approved_at: dt.datetime | None = None,
    policy_digest: str,
    draft_of: int | None = None,
    pending: Sequence[str] = (),
) -> Document:
    """The document of an issued ``version`` (or of a draft when it is None) with its title
    page. ``history`` are the issued versions up to it; ``required`` says who must approve."""
    from psirt.publish.document import sections_from_dict

    sections = sections_from_dict(body.get("sections"), source="procedure")
    document_id = str(body.get("document_id", ""))
    label = str(version.version) if version is not None else f"draft of version {draft_of or 1}"
    props: list[tuple[str, str]] = [
        ("Document ID", document_id),
        ("Title", TITLE),
        ("Version", label),
    ]
    if version is not None:
        props.append(("Issued", f"{version.issued_at.astimezone(dt.UTC).date().isoformat()} by "
                                f"{version.issued_by}"))  # fmt: skip
        props.append(("Approved", approved_at.astimezone(dt.UTC).date().isoformat()
                      if approved_at else "not yet"))  # fmt: skip
        props.append(("Content digest (signed)", version.content_digest))
    else:
        props.append(("Issued", "not issued"))
    props += [
        ("Status", status),
        ("Approval required", required),
        ("Policy digest", policy_digest),
        ("Written by", "psirt, from the policy above and the products and test plans it names"),
    ]
    hist = tuple(
        (str(h.version), h.issued_at.astimezone(dt.UTC).date().isoformat(), h.issued_by,
         "; ".join([*h.changes, *([f"note: {h.note}"] if h.note else [])]) or "first version")
        for h in history
    )  # fmt: skip
    issuer: tuple[tuple[str, ...], ...] = ()
    if version is not None:
        issuer = (("issuer (author)", version.issued_by, "authored",
                   version.issued_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   version.content_digest[:16]),)  # fmt: skip
    waiting = tuple(
        (_code(p.removeprefix("approval by ")), "", "approval pending", "", "") for p in pending
    )
    created = None
    if version is not None:
        created = (approved_at or version.issued_at).astimezone(dt.UTC)
    return Document(
        title=TITLE,
        document_id=document_id,
        version=label,
        status=status,
        organisation=str(body.get("organisation", "")),
        properties=tuple(props),
        approvals=Table(
            ("Role", "Name", "Meaning", "Signed", "Content digest"),
            (*issuer, *_sig_rows(signatures), *waiting),
            (3, 3, 2, 3, 3),
        ),  # fmt: skip
        history=Table(("Version", "Issued", "By", "Changes"), hist, (2, 2, 3, 9)),
        sections=sections,
        created=created,
        notice="" if version is not None else "DRAFT: not issued, not for use",
    )
