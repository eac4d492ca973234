"""The encrypted local store (SQLCipher 4): `Store.create(...)` once, `Store.open(...)` every day."""

from app.store.db import Actor, StoreBase
from app.store.records import Records


class Store(Records, StoreBase):
    """One workstation's data: patients, prescriptions, dispensings, signatures, reference data, audit."""

    @property
    def catalog(self):  # type: ignore[no-untyped-def]
        from app.catalog import Catalog

        return Catalog(self)


__all__ = ["Actor", "Store"]
