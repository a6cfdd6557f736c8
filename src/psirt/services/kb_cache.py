"""A prebuilt knowledge base kept next to the database, so that ``psirt match`` starts fast.

Building the matcher means decoding every stored advisory and sorting every range: about
two seconds for all of osv.dev's PyPI, Go, CRAN and AlmaLinux data. The built knowledge
base (:meth:`KnowledgeBase.to_plain`, plain data only) is written with :mod:`marshal` to
``$XDG_CACHE_HOME/psirt/kb-<hash of the database URL>.marshal`` (8 bytes of header length,
the marshalled header, the marshalled knowledge base) and reused while the knowledge base
has not changed.

The cache is keyed by the database URL and a *revision* read from the database: the newest
feed snapshot id (every feed import, advisories, KEV or EPSS, adds one), the number of
advisories and the schema version, plus a stamp of the matcher's own source files. Anything
else (a missing, stale, truncated or foreign file) is a miss: the knowledge base is built
from the database and the cache rewritten. Nothing is ever executed from the file.

For SQLite databases the revision is read with the standard ``sqlite3`` module, so a cache
hit needs neither SQLAlchemy nor the migration machinery.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psirt.matching.knowledge import KnowledgeBase
from psirt.store.kb_revision import session_revision, sqlite_file_revision

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent  # src/psirt

Revision = tuple[Any, ...]


def default_url() -> str:
    """The database URL psirt uses when none is given (as :func:`psirt.store.db.default_url`,
    without importing the store)."""
    url = os.environ.get("PSIRT_DATABASE_URL")
    if url:
        return url
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(data_home) / 'psirt' / 'psirt.db'}"


def cache_dir() -> Path:
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "psirt"


def cache_path(url: str) -> Path:
    return cache_dir() / f"kb-{hashlib.sha256(url.encode()).hexdigest()[:24]}.marshal"


def _code_stamp() -> tuple[Any, ...]:
    """Size and modification time of the code that shapes the cached data."""
    out: list[tuple[str, int, int]] = []
    for folder in ("matching", "versions"):
        for entry in sorted(os.scandir(_PACKAGE / folder), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                out.append((f"{folder}/{entry.name}", st.st_size, st.st_mtime_ns))
    st = (_PACKAGE / "domain" / "codec.py").stat()
    out.append(("domain/codec.py", st.st_size, st.st_mtime_ns))
    return (CACHE_FORMAT, *out)


def _sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL, else None."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url[len("sqlite:///") :]
    if not path or path == ":memory:":
        return None
    return Path(path)


def sqlite_revision(url: str) -> Revision | None:
    """The knowledge-base revision of a SQLite database, read without SQLAlchemy (None when
    the URL is not a SQLite file or the database cannot be read)."""
    path = _sqlite_file(url)
    if path is None or not path.is_file():
        return None
    row = sqlite_file_revision(path)
    return None if row is None else (*row, _code_stamp())


def revision(session: Session) -> Revision:
    """The knowledge-base revision as seen by ``session`` (any database)."""
    return (*session_revision(session), _code_stamp())


def _header(url: str, rev: Revision) -> dict[str, Any]:
    return {"format": CACHE_FORMAT, "url": url, "revision": list(rev)}


def load(url: str, rev: Revision) -> KnowledgeBase | None:
    """The cached knowledge base of ``url`` at revision ``rev``, or None on any miss."""
    path = cache_path(url)
    enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small tuples: no cycles to look for
    try:
        data = memoryview(path.read_bytes())
        size = int.from_bytes(data[:8], "little")
        header = marshal.loads(data[8 : 8 + size])  # noqa: S302 - psirt's own cache, data only
        if header != _header(url, rev):
            return None
        return KnowledgeBase.from_plain(marshal.loads(data[8 + size :]))  # noqa: S302
    except Exception:  # noqa: BLE001 - any unreadable cache is a miss, rebuilt from the database
        return None
    finally:
        if enabled:
            gc.enable()


def save(url: str, rev: Revision, kb: KnowledgeBase) -> Path | None:
    """Write the cache atomically; a cache that cannot be written is simply not kept."""
    path = cache_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kb-", dir=path.parent)
        try:
            header = marshal.dumps(_header(url, rev))
            with os.fdopen(fd, "wb") as fh:
                fh.write(len(header).to_bytes(8, "little"))
                fh.write(header)
                fh.write(marshal.dumps(kb.to_plain()))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        return None
    return path


def cached_knowledge(url: str) -> KnowledgeBase | None:
    """The cached knowledge base of a SQLite database when it is current (no SQLAlchemy)."""
    rev = sqlite_revision(url)
    return None if rev is None else load(url, rev)


def knowledge(session: Session, url: str) -> KnowledgeBase:
    """The knowledge base of ``session``'s database: from the cache when it is current,
    else built from the stored advisories and cached for the next call."""
    from psirt.services.scanning import load_knowledge

    rev = revision(session)
    kb = load(url, rev)
    if kb is None:
        kb = load_knowledge(session)
        save(url, rev, kb)
    return kb


__all__ = [
    "CACHE_FORMAT",
    "cache_path",
    "cached_knowledge",
    "default_url",
    "knowledge",
    "load",
    "revision",
    "save",
    "sqlite_revision",
]
