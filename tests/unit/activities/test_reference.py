"""Record references of dispositions: the accepted forms and the refusals naming them."""

from __future__ import annotations

import pytest

from psirt.domain.reference import RecordReference, ReferenceKind
from psirt.errors import UsageError


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("12", ReferenceKind.ISSUE, "issue:12"),
        ("issue:12", ReferenceKind.ISSUE, "issue:12"),
        (" Issue: 12 ", ReferenceKind.ISSUE, "issue:12"),
        ("finding:7", ReferenceKind.FINDING, "finding:7"),
        ("scan-finding:3", ReferenceKind.SCAN_FINDING, "scan-finding:3"),
        ("activity:44", ReferenceKind.ACTIVITY, "activity:44"),
        ("review:Patient Monitor PM-8@7.5.0", ReferenceKind.REVIEW,
         "review:Patient Monitor PM-8@7.5.0"),
        ("review:Patient Monitor PM-8@7.5.0#2", ReferenceKind.REVIEW,
         "review:Patient Monitor PM-8@7.5.0#2"),
        ("REVIEW: a@b@1.0 #3", ReferenceKind.REVIEW, "review:a@b@1.0#3"),
    ],
)  # fmt: skip
def test_accepted_forms(text: str, kind: ReferenceKind, canonical: str) -> None:
    ref = RecordReference.parse(text)
    assert ref.kind is kind
    assert str(ref) == canonical


def test_review_parts() -> None:
    ref = RecordReference.parse("review:a@b@1.0#3")
    assert (ref.product, ref.version, ref.seq, ref.number) == ("a@b", "1.0", 3, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "--reference: empty; expected one of issue:N (or N)"),
        ("CAPA-17", "--reference 'CAPA-17': not a record reference; expected one of issue:N"),
        ("ticket:4", "--reference 'ticket:4': not a record reference"),
        ("issue:abc", "--reference 'issue:abc': 'abc' is not a record number"),
        ("issue:0", "--reference 'issue:0': '0' is not a record number"),
        ("finding:-3", "--reference 'finding:-3': '-3' is not a record number"),
        ("review:7.5.0", "--reference 'review:7.5.0': expected review:PRODUCT@VERSION"),
        ("review:PM-8@", "--reference 'review:PM-8@': expected review:PRODUCT@VERSION"),
        ("review:PM-8@7.5.0#x", "--reference 'review:PM-8@7.5.0#x': 'x' is not a record number"),
    ],
)
def test_refusals_name_the_reference_and_the_forms(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        RecordReference.parse(text)
    assert str(info.value).startswith(message)
