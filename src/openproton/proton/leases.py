"""Holding a lease while work that leaves the process runs ([decided] P-11): renewed on a thread every third of
its length, in a transaction of its own each time (no transaction stays open while the work runs), released at
the end. If a renewal finds the lease taken (this holder was too slow and another claimed it), `lost` is set
and the holder must not write what its work found."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from openproton.store import Database
from openproton.store.leases import LeaseTable, database_now_ms


class Held:
    def __init__(self) -> None:
        self.lost = threading.Event()


@contextmanager
def holding(
    database: Database, leases: LeaseTable, key: Mapping[str, Any], owner: str, lease_ms: int, *, name: str
) -> Iterator[Held]:
    """While the block runs, renew the lease `owner` claimed on `key`; release it when the block ends."""
    held = Held()
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_ms / 3000):
            with database.transaction(write=True) as tx:
                if not leases.renew(tx, key, owner, database_now_ms(tx) + lease_ms):
                    held.lost.set()
                    return

    renewer = threading.Thread(target=renew, name=name, daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        with database.transaction(write=True) as tx:
            leases.release(tx, key, owner)
