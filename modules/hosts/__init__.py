"""Hosts: one port (the plan's fixed IPv4 and IPv6, the plan's security group), one instance booted with the
plan's cloud-init user data on a config drive and, when the plan gives the host a data volume or a system volume
(level 3+: logs, audit trail, /home, /tmp), protected volumes attached to it. The system volume is attached after
boot; the `storage` playbook role lays out its filesystems. Tiers the plan spreads get an anti-affinity server
group. Everything is created with the project-scoped `provider` (Nova refuses a port of another project).

Image, user data, config drive and scheduler hints only matter at first boot: changes to them are ignored, so a
new image or new user data never rebuilds a running server silently (replace one on purpose with
`pulumi up --replace URN`). Volume types are ignored after creation too: raising a level retypes volumes by the
documented procedure (docs/pulumi.md, "Retype policy"), never by replacing a protected volume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from itpark.plan.model import Host
from modules.common import Labels, child, stateful

TYPE = "itpark:hosts:Hosts"
# Inputs that only matter when the server is built (Nova rebuilds or replaces the server when they change).
FIRST_BOOT_ONLY = ["imageName", "imageId", "userData", "configDrive", "schedulerHints"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """Where a host's port goes: ids of its network, subnets and security group (from this or another stack)."""

    network_id: pulumi.Input[str]
    subnet_v4_id: pulumi.Input[str]
    subnet_v6_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]


class Hosts(pulumi.ComponentResource):
    ports: dict[str, openstack.networking.Port]
    instances: dict[str, openstack.compute.Instance]
    volumes: dict[str, openstack.blockstorage.Volume]  # data volumes
    system_volumes: dict[str, openstack.blockstorage.Volume]  # the plan's mounts (logs, audit, /home, /tmp)

    def __init__(
        self,
        name: str,
        hosts: Sequence[Host],
        attachments: Mapping[str, Attachment],  # keyed by host name
        labels: Labels,
        keep_data: bool = True,
        encrypted_volume_type: str | None = None,
        project_id: pulumi.Input[str] | None = None,
        user_data: Mapping[str, str] | None = None,  # keyed by host name: itpark.plan.bootstrap.user_data
        provider: pulumi.ProviderResource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.ports, self.instances, self.volumes, self.system_volumes = {}, {}, {}, {}
        self.server_groups: dict[str, openstack.compute.ServerGroup] = {}
        for host in hosts:
            if host.server_group and host.server_group not in self.server_groups:
                self.server_groups[host.server_group] = openstack.compute.ServerGroup(
                    host.server_group,
                    name=host.server_group,
                    policies="anti-affinity",
                    opts=child(self, provider=provider),
                )
        for host in hosts:
            at = attachments[host.name]
            host_labels = labels.with_level(host.level)
            extra = {"site": host.site, "zone": host.zone, "role": host.role}
            port = openstack.networking.Port(
                host.name,
                name=host.name,
                network_id=at.network_id,
                fixed_ips=[
                    {"subnet_id": at.subnet_v4_id, "ip_address": host.ipv4},
                    {"subnet_id": at.subnet_v6_id, "ip_address": host.ipv6},
                ],
                security_group_ids=[at.security_group_id],
                admin_state_up=True,
                tenant_id=project_id,
                tags=host_labels.tags(**extra),
                opts=child(self, provider=provider),
            )
            group = self.server_groups.get(host.server_group)
            instance = openstack.compute.Instance(
                host.name,
                name=host.fqdn,
                flavor_name=host.flavor,
                image_name=host.image,
                availability_zone=host.availability_zone,
                networks=[{"port": port.id}],
                metadata=host_labels.metadata(**extra),
                user_data=(user_data or {}).get(host.name),
                config_drive=True,
                scheduler_hints=[{"group": group.id}] if group is not None else None,
                opts=child(self, provider=provider, ignore_changes=FIRST_BOOT_ONLY),
            )
            self.ports[host.name], self.instances[host.name] = port, instance
            # Level 3+ volumes go on the cloud's encrypted volume type when the stack config names one.
            volume_type = encrypted_volume_type if host.level >= 3 else None
            for suffix, size, registry in (
                ("data", host.volume_gb, self.volumes),
                ("system", host.system_volume_gb, self.system_volumes),
            ):
                if size <= 0:
                    continue
                volume = openstack.blockstorage.Volume(
                    f"{host.name}-{suffix}",
                    name=f"{host.name}-{suffix}",
                    size=size,
                    availability_zone=host.volume_availability_zone or host.availability_zone,
                    volume_type=volume_type,
                    metadata=host_labels.metadata(**extra),
                    opts=stateful(self, keep_data, provider=provider, ignore_changes=["volumeType"]),
                )
                openstack.compute.VolumeAttach(
                    f"{host.name}-{suffix}",
                    instance_id=instance.id,
                    volume_id=volume.id,
                    opts=child(self, provider=provider),
                )
                registry[host.name] = volume
        self.register_outputs({})
