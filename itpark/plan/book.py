"""Reconciles what the spec needs with the ledger: reuse, reactivate, allocate, retire."""

from __future__ import annotations

from itpark.plan.model import LedgerChanges, LedgerEntry


class Book:
    def __init__(self, entries: dict[str, LedgerEntry]) -> None:
        self.entries = dict(entries)
        self.used: set[str] = set()
        self.added: list[str] = []
        self.reactivated: list[str] = []
        self.moved: list[str] = []  # `key#n` entries retired by a renumbering

    def get(self, key: str) -> LedgerEntry | None:
        """The ledger's entry for `key`, marking it in use (and active again if it was retired)."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.used.add(key)
        if entry.state == "retired":
            entry = LedgerEntry(key, entry.ipv4, entry.ipv6, "active")
            self.entries[key] = entry
            self.reactivated.append(key)
        return entry

    def add(self, key: str, ipv4: str, ipv6: str) -> LedgerEntry:
        entry = LedgerEntry(key, ipv4, ipv6, "active")
        self.entries[key] = entry
        self.used.add(key)
        self.added.append(key)
        return entry

    def move(self, key: str) -> None:
        """Retire `key`'s addresses under `key#n` (kept forever, never reused) so `key` can be pinned anew."""
        old = self.entries.pop(key)
        number = 1
        while f"{key}#{number}" in self.entries:
            number += 1
        self.entries[f"{key}#{number}"] = LedgerEntry(f"{key}#{number}", old.ipv4, old.ipv6, "retired")
        self.used.discard(key)
        self.moved.append(f"{key}#{number}")

    def close(self) -> tuple[tuple[LedgerEntry, ...], LedgerChanges]:
        retired = []
        for key, entry in self.entries.items():
            if key not in self.used and entry.state == "active":
                self.entries[key] = LedgerEntry(key, entry.ipv4, entry.ipv6, "retired")
                retired.append(key)
        retired += self.moved
        changes = LedgerChanges(tuple(sorted(self.added)), tuple(sorted(retired)), tuple(sorted(self.reactivated)))
        return tuple(self.entries[k] for k in sorted(self.entries)), changes
