"""SharedServices: the park's service hosts (bastion, DNS, NTP, log/SIEM, monitoring, backup, LGSP, SSO, WAF, ...)
on the networks the network layer made, plus an Octavia load balancer in front of each WAF, whose VIP gets the
only floating IP of the park (the WAF network is the plan's only public one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_openstack as openstack

from itpark.plan.model import Service
from modules.common import Labels, child
from modules.hosts import Attachment, Hosts

TYPE = "itpark:shared:SharedServices"
LB_KIND = "waf"


class SharedServices(pulumi.ComponentResource):
    hosts: dict[str, Hosts]
    load_balancers: dict[str, openstack.loadbalancer.LoadBalancer]
    floating_ips: dict[str, openstack.networking.FloatingIp]

    def __init__(
        self,
        name: str,
        services: Sequence[Service],
        attachments: Mapping[str, Attachment],  # keyed by the service's network (= security group) name
        labels: Labels,
        public_pools: Mapping[str, str],  # site -> name of its internet link network (floating-IP pool)
        encrypted_volume_type: str | None = None,
        user_data: Mapping[str, str] | None = None,  # keyed by host name
        provider: pulumi.ProviderResource | None = None,  # scoped to the shared-services project
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.hosts, self.load_balancers, self.floating_ips = {}, {}, {}
        for service in services:
            key = f"{service.kind}@{service.site}"
            level = max((h.level for h in service.hosts), default=labels.level)
            at = attachments[service.subnet.name]
            group = Hosts(
                key,
                service.hosts,
                {h.name: at for h in service.hosts},
                labels.with_level(level),
                encrypted_volume_type=encrypted_volume_type,
                user_data=user_data,
                provider=provider,
                opts=child(self),
            )
            self.hosts[key] = group
            if service.kind == LB_KIND:
                self._load_balancer(service, at, labels.with_level(level), public_pools.get(service.site), provider)
        self.register_outputs({})

    def _load_balancer(
        self,
        service: Service,
        at: Attachment,
        labels: Labels,
        public_pool: str | None,
        provider: pulumi.ProviderResource | None,
    ) -> None:
        name = service.subnet.name
        lb = openstack.loadbalancer.LoadBalancer(
            name,
            name=name,
            vip_subnet_id=at.subnet_v4_id,
            security_group_ids=[at.security_group_id],
            tags=labels.tags(site=service.site, zone="shared"),
            opts=child(self, provider=provider),
        )
        self.load_balancers[service.site] = lb
        for spec in service.ports:
            port, proto = spec.split("/")
            if proto != "tcp":
                continue
            listener = openstack.loadbalancer.Listener(
                f"{name}-{port}",
                name=f"{name}-{port}",
                loadbalancer_id=lb.id,
                protocol="TCP",
                protocol_port=int(port),
                opts=child(self, provider=provider),
            )
            pool = openstack.loadbalancer.Pool(
                f"{name}-{port}",
                name=f"{name}-{port}",
                listener_id=listener.id,
                protocol="TCP",
                lb_method="ROUND_ROBIN",
                opts=child(self, provider=provider),
            )
            for host in service.hosts:
                openstack.loadbalancer.Member(
                    f"{name}-{port}-{host.hostname}",
                    pool_id=pool.id,
                    address=host.ipv4,
                    protocol_port=int(port),
                    subnet_id=at.subnet_v4_id,
                    opts=child(self, provider=provider),
                )
        if service.subnet.public and public_pool is not None:
            self.floating_ips[service.site] = openstack.networking.FloatingIp(
                name,
                pool=public_pool,
                port_id=lb.vip_port_id,
                tags=labels.tags(site=service.site, zone="shared"),
                opts=child(self, provider=provider),
            )
