"""Helpers shared by the components: labels (tags and metadata) and resource options."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True, slots=True)
class Labels:
    """Who a resource belongs to. Rendered as OpenStack tags ("itpark:tenant=acme") and instance/volume metadata."""

    park: str
    tenant: str  # "shared" for the park's own resources
    owner: str
    level: int

    def with_level(self, level: int) -> Labels:
        return Labels(self.park, self.tenant, self.owner, level)

    def metadata(self, **extra: str) -> dict[str, str]:
        data = {"park": self.park, "tenant": self.tenant, "owner": self.owner, "level": str(self.level)}
        data.update(extra)
        return data

    def tags(self, **extra: str) -> list[str]:
        return sorted(f"itpark:{key}={value}" for key, value in self.metadata(**extra).items())


def child(
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
    provider: pulumi.ProviderResource | None = None,
    ignore_changes: list[str] | None = None,
) -> pulumi.ResourceOptions:
    """Options of a resource inside a component; `provider` is the project-scoped provider it is created with
    (None: the stack's default credentials, i.e. the platform's admin scope)."""
    return pulumi.ResourceOptions(
        parent=parent, depends_on=depends_on, provider=provider, ignore_changes=ignore_changes
    )


def stateful(
    parent: pulumi.Resource,
    keep: bool,
    provider: pulumi.ProviderResource | None = None,
    ignore_changes: list[str] | None = None,
) -> pulumi.ResourceOptions:
    """Data-bearing resources: protected and retained on delete unless the plan decommissions their tenant."""
    return pulumi.ResourceOptions(
        parent=parent, protect=keep, retain_on_delete=keep, provider=provider, ignore_changes=ignore_changes
    )
