"""What every command needs: the acting user and the store."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psirt.store.database import default_url

if TYPE_CHECKING:
    from psirt.store.db import Store


@dataclass
class AppState:
    user: str | None = None
    database_url: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        if self.user:
            return self.user
        env = os.environ.get("PSIRT_USER")
        if env:
            return env
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"

    @property
    def url(self) -> str:
        """The database URL the commands use."""
        return self.database_url or default_url()

    def close(self) -> None:
        """Close the store's connections; the next :meth:`store` opens it again."""
        store, self._store = self._store, None
        if store is not None:
            store.engine.dispose()

    def store(self, *, require_schema: bool = True) -> Store:
        if self._store is None:
            from psirt.store.db import Store  # SQLAlchemy: imported by the commands that use it

            self._store = Store(self.database_url)
        if require_schema:
            self._store.ensure_schema()
        return self._store


STATE = AppState()
