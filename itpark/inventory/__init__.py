"""Ansible inventory translated from the plan: inventories/<park>/hosts.yml and group_vars/."""

from itpark.inventory.build import build_inventory, group_name, write_inventory

__all__ = ["build_inventory", "group_name", "write_inventory"]
