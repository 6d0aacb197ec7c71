"""Shared services (DNS, NTP, log collection, bastion, monitoring): Ansible variables translated from the plan."""

from itpark.services.build import build_service_vars, render_service_inventory, write_service_inventory

__all__ = ["build_service_vars", "render_service_inventory", "write_service_inventory"]
