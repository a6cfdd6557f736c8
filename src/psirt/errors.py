"""The one error tree of psirt.

    PsirtError
     +-- InputError      a file or a field the user gave is malformed (exit 2 / HTTP 422)
     |    +-- UnknownFormat     no parser recognises the document
     |    +-- LimitExceeded     a document passes a safety limit (size, alias expansion, depth)
     +-- UsageError      a command was called with options that do not fit (exit 2 / HTTP 400)
     +-- NotFound        a named object does not exist (exit 2 / HTTP 404)
     +-- Conflict        the change collides with what is stored (exit 2 / HTTP 409)
     +-- GateNotMet      a lifecycle transition lacks required records (exit 2 / HTTP 409)
     +-- FeedError       a vulnerability feed could not be read (exit 2 / HTTP 502)
     +-- DatabaseError   the database cannot be opened or used (exit 2 / HTTP 503)
     |    +-- NoDatabase        there is no database where the URL points
     +-- UnknownEcosystem  no version ordering is known for an ecosystem (reported, not guessed)
     +-- IntegrityError  the audit chain does not verify (exit 1)

Messages start with what was being read, then the place inside it, then what is wrong:
``"bom.json: components[12].purl: not a package URL"``. Only entrypoints turn these
errors into exit codes or HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Sequence


class PsirtError(Exception):
    """Base of every error psirt raises on purpose."""


class InputError(PsirtError):
    """A user-supplied file or value is malformed.

    ``source`` names the input (a file name), ``location`` the place inside it
    (a JSON pointer-like path, a line number); both end up in the message. ``problems`` holds
    every (location, reason) found in the input; ``InputError.of`` builds one error naming
    them all (``"intake.toml: source: missing field; channel: missing field"``).
    """

    def __init__(
        self,
        source: str,
        location: str | None,
        message: str,
        *,
        problems: Sequence[tuple[str | None, str]] = (),
    ) -> None:
        self.source = source
        self.location = location
        self.reason = message
        self.problems: tuple[tuple[str | None, str], ...] = tuple(problems) or (
            (location, message),
        )
        where = f"{source}: {location}: " if location else f"{source}: "
        super().__init__(f"{where}{message}")

    @classmethod
    def of(cls, source: str, problems: Sequence[tuple[str | None, str]]) -> InputError:
        """One error naming every problem; a single problem reads as a plain InputError."""
        unique = list(dict.fromkeys(problems))
        if len(unique) == 1:
            location, message = unique[0]
            return cls(source, location, message)
        text = "; ".join(f"{loc}: {msg}" if loc else msg for loc, msg in unique)
        return cls(source, None, text, problems=unique)


class UnknownFormat(InputError):
    """No registered parser recognises the document."""


class LimitExceeded(InputError):
    """A document passes one of psirt's safety limits: its size, the nodes its YAML aliases
    repeat, its nesting depth. Format sniffers pass it on instead of trying another format."""


class UsageError(PsirtError):
    """A command or request was called with options that do not fit together."""


class NotFound(PsirtError):
    """A named object (product, release, issue ...) does not exist."""


class Conflict(PsirtError):
    """The requested change collides with what is already stored."""


class GateNotMet(PsirtError):
    """A lifecycle transition was attempted without its required records.

    ``missing`` lists every missing record or field, so the user can fix all at once.
    """

    def __init__(self, transition: str, missing: Sequence[str]) -> None:
        self.transition = transition
        self.missing = tuple(missing)
        super().__init__(f"{transition}: gate not met; missing: {', '.join(self.missing)}")


class FeedError(PsirtError):
    """A vulnerability feed could not be fetched or read as a whole."""


class DatabaseError(PsirtError):
    """The database cannot be opened or used: a bad or unsupported URL, a server that cannot
    be reached or went away, a file that is not a psirt database, a lock held too long.

    ``database`` names it (the URL without its password), ``reason`` says what is wrong.
    """

    def __init__(self, database: str, reason: str) -> None:
        self.database = database
        self.reason = reason
        super().__init__(f"database {database}: {reason}")


class NoDatabase(DatabaseError):
    """There is no database where the URL points; only ``psirt init`` creates one."""

    def __init__(self, database: str, where: str) -> None:
        self.database = database
        self.reason = "no database"
        PsirtError.__init__(self, f"no database at {where}: run 'psirt init'")


class UnknownEcosystem(PsirtError):
    """No version scheme is known for an ecosystem; psirt reports it instead of guessing."""

    def __init__(self, ecosystem: str) -> None:
        self.ecosystem = ecosystem
        super().__init__(f"unknown ecosystem: {ecosystem!r}")


class IntegrityError(PsirtError):
    """The audit trail does not verify."""
