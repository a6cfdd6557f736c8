"""Who publishes psirt's advisories and VEX documents, and how they are identified: the
policy's ``[publisher]`` and ``[publishing]`` tables as domain values."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from psirt.errors import InputError, UsageError


class PublisherCategory(StrEnum):
    """CSAF 2.0 ``document.publisher.category``."""

    VENDOR = "vendor"
    COORDINATOR = "coordinator"
    DISCOVERER = "discoverer"
    OTHER = "other"
    TRANSLATOR = "translator"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who issues the documents (CSAF ``document.publisher``, OpenVEX ``author``, CycloneDX
    ``metadata.manufacturer``)."""

    name: str
    namespace: str  # a URL the publisher controls
    category: PublisherCategory = PublisherCategory.VENDOR
    contact_details: str = ""
    issuing_authority: str = ""
    lang: str = "en"

    @property
    def complete(self) -> bool:
        return bool(self.name.strip() and self.namespace.strip())


_URL = re.compile(r"https?://[^\s/$.?#][^\s]*\Z", re.IGNORECASE)


def check_namespace(value: str, source: str, where: str) -> None:
    if value and not _URL.match(value):
        raise InputError(source, where, f"{value!r} is not an http(s) URL")


class UnassessedStatus(StrEnum):
    """What a VEX says about a matched vulnerability nobody has assessed yet."""

    UNDER_INVESTIGATION = "under_investigation"
    AFFECTED = "affected"


@dataclass(frozen=True, slots=True)
class IdPattern:
    """A ``str.format`` pattern with named fields only (``PSIRT-{year}-{issue:04d}``)."""

    text: str
    fields: frozenset[str]

    @classmethod
    def parse(cls, text: str, allowed: Sequence[str], *, source: str, where: str) -> IdPattern:
        if not text.strip():
            raise InputError(source, where, "must not be empty")
        names: set[str] = set()
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise InputError(source, where, f"not a valid pattern: {exc}") from None
        for _literal, name, _spec, conversion in parsed:
            if name is None:
                continue
            if name not in allowed or conversion:
                fields = ", ".join("{" + a + "}" for a in allowed)
                raise InputError(source, where, f"{{{name}}} is not one of the fields {fields}")
            names.add(name)
        pattern = cls(text, frozenset(names))
        sample = {a: (2026 if a in ("year", "issue") else "x") for a in allowed}
        try:
            pattern.format(**sample)
        except (ValueError, TypeError) as exc:
            raise InputError(source, where, f"not a valid pattern: {exc}") from None
        return pattern

    def format(self, **values: object) -> str:
        return self.text.format(**values).strip()


@dataclass(frozen=True, slots=True)
class PublishingPolicy:
    publisher: Publisher
    advisory_id: IdPattern
    vex_id: IdPattern
    advisory_url: str  # "" or a URL with {id}
    unassessed_findings: UnassessedStatus

    def require_publisher(self) -> Publisher:
        if not self.publisher.complete:
            raise UsageError(
                "set the publisher's name and namespace in the policy's [publisher] table "
                "before publishing (docs/publishing.md)"
            )
        return self.publisher

    def advisory_url_of(self, tracking_id: str) -> str | None:
        """The advisory's canonical URL: ``{id}`` is the CSAF file name of the tracking id."""
        if not self.advisory_url:
            return None
        return self.advisory_url.replace("{id}", csaf_file_stem(tracking_id))


def csaf_file_stem(tracking_id: str) -> str:
    """The file name of a CSAF document without ``.json`` (CSAF 2.0 section 5.1): the tracking
    id in lower case, every character but ``+``, ``-``, ``a-z`` and ``0-9`` as ``_``."""
    return re.sub(r"[^+\-a-z0-9]", "_", tracking_id.lower())


ADVISORY_ID_FIELDS = ("year", "issue")
VEX_ID_FIELDS = ("product", "release")


def slug(text: str) -> str:
    """``Clinical Data Gateway`` -> ``clinical-data-gateway`` (letters, digits, ``.``, ``_``)."""
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-._") or "x"


def product_iri(namespace: str, product: str, version: str) -> str:
    """An IRI under the publisher's namespace naming a release that has no purl or CPE."""
    return "/".join([namespace.rstrip("/"), "products", slug(product), quote(version, safe="")])


def component_iri(release_iri: str, name: str, version: str) -> str:
    """An IRI naming a component of a release that has no purl or CPE."""
    return "/".join([release_iri, "components", slug(name), quote(version or "-", safe="")])
