"""Hosts: one port (the plan's fixed IPv4 and IPv6, the plan's security group), one instance and, when the plan
gives the host a data volume or a system volume (level 3+: logs, audit trail, /home, /tmp), protected volumes
attached to it. The system volume is attached after boot; the `storage` playbook role lays out its filesystems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from itpark.plan.model import Host
from modules.common import Labels, child, stateful

TYPE = "itpark:hosts:Hosts"


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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.ports, self.instances, self.volumes, self.system_volumes = {}, {}, {}, {}
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
                opts=child(self),
            )
            instance = openstack.compute.Instance(
                host.name,
                name=host.fqdn,
                flavor_name=host.flavor,
                image_name=host.image,
                availability_zone=host.availability_zone,
                networks=[{"port": port.id}],
                metadata=host_labels.metadata(**extra),
                opts=child(self),
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
                    availability_zone=host.availability_zone,
                    volume_type=volume_type,
                    metadata=host_labels.metadata(**extra),
                    opts=stateful(self, keep_data),
                )
                openstack.compute.VolumeAttach(
                    f"{host.name}-{suffix}", instance_id=instance.id, volume_id=volume.id, opts=child(self)
                )
                registry[host.name] = volume
        self.register_outputs({})
