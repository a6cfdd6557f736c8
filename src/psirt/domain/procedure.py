"""Versions of the Security Issue Resolution Procedure and their approval.

psirt writes the procedure from the policy it runs under (``psirt.publish.procedure``). A
*version* is issued when the written procedure or the policy differs from the newest version;
versions are numbered 1, 2, 3 ... per store and never change once issued. What signers approve
is the version's *content digest*: the sha256 of the canonical JSON of its number, issue date,
policy digest and the digest of its text (``body_digest``). The policy's ``[approvals.procedure]``
rule in force when the version was issued says who must approve it; the issuer is its author.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from psirt.domain.policy import ApprovalRule
from psirt.domain.records import Role, Signature, SignatureMeaning, sha256_of
from psirt.errors import InputError

__all__ = [
    "TITLE",
    "approval_rule_from_dict",
    "approval_rule_to_dict",
    "body_digest",
    "content_digest",
    "missing_approvals",
    "policy_changes",
    "valid_approvals",
]

TITLE = "Security Issue Resolution Procedure"


def body_digest(body: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON of the written text (title, id, sections)."""
    return sha256_of(dict(body))


def content_digest(*, version: int, issued_on: dt.date, policy_digest: str, body: str) -> str:
    """What a signature of a version covers (``body`` is the body digest)."""
    return sha256_of(
        {
            "title": TITLE,
            "version": version,
            "issued_on": issued_on.isoformat(),
            "policy_digest": policy_digest,
            "body_digest": body,
        }
    )


def approval_rule_to_dict(rule: ApprovalRule) -> dict[str, Any]:
    return {
        "roles": [r.value for r in rule.roles],
        "all": rule.all,
        "distinct_from_author": rule.distinct_from_author,
    }


def approval_rule_from_dict(data: Any, *, source: str) -> ApprovalRule:
    if not isinstance(data, dict):
        raise InputError(source, "approval", "expected an object")
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles:
        raise InputError(source, "approval.roles", "expected a non-empty array")
    try:
        parsed = tuple(Role(r) for r in roles)
    except ValueError as exc:
        raise InputError(source, "approval.roles", str(exc)) from None
    every, distinct = data.get("all"), data.get("distinct_from_author")
    if not isinstance(every, bool) or not isinstance(distinct, bool):
        raise InputError(source, "approval", "all and distinct_from_author must be true or false")
    return ApprovalRule(parsed, every, distinct)


def valid_approvals(
    rule: ApprovalRule, signatures: Sequence[Signature], *, author: str, digest: str
) -> list[Signature]:
    """The approval signatures over ``digest`` that count under ``rule``."""
    return [
        s
        for s in signatures
        if s.meaning is SignatureMeaning.APPROVED
        and s.digest_sha256 == digest
        and s.role in rule.roles
        and not (rule.distinct_from_author and s.signer == author)
    ]


def missing_approvals(
    rule: ApprovalRule, signatures: Sequence[Signature], *, author: str, digest: str
) -> list[str]:
    """The approvals ``rule`` still asks for (empty when the version is approved)."""
    valid = valid_approvals(rule, signatures, author=author, digest=digest)
    suffix = " other than the author" if rule.distinct_from_author else ""
    if rule.all:
        return [
            f"approval by {role.value}{suffix}"
            for role in rule.roles
            if not any(s.role is role for s in valid)
        ]
    if valid:
        return []
    return [f"approval by {' or '.join(r.value for r in rule.roles)}{suffix}"]


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key in value:
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)


def policy_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Policy keys that differ between two policy documents, as ``key: old -> new`` lines."""
    if old is None:
        return []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old, "", before)
    _flatten(new, "", after)
    out = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            out.append(f"policy {key}: removed (was {_shown(before[key])})")
        elif key not in before:
            out.append(f"policy {key}: {_shown(after[key])} (new)")
        elif before[key] != after[key]:
            out.append(f"policy {key}: {_shown(before[key])} -> {_shown(after[key])}")
    return out
