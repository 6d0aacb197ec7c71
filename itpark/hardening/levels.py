"""What a security level turns on, as data derived from the control catalog.

Each role enforces some catalog controls; a role is switched on for a level when any control it exists for
applies at that level under the park's baseline. Per-level values (password length, idle timeout, ...) are in
the catalog, per baseline (`values`), plus a small level-only table here. `itpark inventory` writes the result
to group_vars/level_N.yml.
"""

from __future__ import annotations

from typing import Any

from itpark.catalog import resolve_baseline

# Role -> controls it enforces (the tags on its tasks). A role runs when one of its `gating` controls applies.
ROLE_CONTROLS: dict[str, tuple[str, ...]] = {
    "storage": ("HOST-01", "LOG-08"),
    "ssh": ("HOST-01", "HOST-05", "HOST-06", "DATA-03"),
    "accounts": ("HOST-03", "HOST-05", "LOG-01"),
    "sysctl": ("HOST-01",),
    "filesystem": ("HOST-01", "HOST-05"),
    "services": ("HOST-02",),
    "updates": ("HOST-07",),
    "logging": ("LOG-01", "LOG-04", "LOG-08"),
    "timesync": ("LOG-02",),
    "firewall": ("HOST-09",),
    "auditd": ("LOG-01", "LOG-08"),
    "aide": ("HOST-10",),
    "intrusion": ("HOST-10",),
}
ROLE_GATING: dict[str, tuple[str, ...]] = {
    "storage": ("LOG-08",),  # the plan gives hosts mounts where LOG-08 applies (itpark.plan.build)
    "timesync": ("LOG-02",),
    "firewall": ("HOST-09",),
    "aide": ("HOST-10",),
    "intrusion": ("HOST-10",),
}
# Values that depend on the level only (not on the baseline): the SSH channel keep-alive, kept at the level's
# value so automation channels are not cut; the baseline's idle timeout is the shell's TMOUT (ssh_shell_timeout).
LEVEL_VALUES: dict[int, dict[str, Any]] = {
    1: {"ssh_client_alive_interval": 600},
    2: {"ssh_client_alive_interval": 450},
    3: {"ssh_client_alive_interval": 300},
    4: {"ssh_client_alive_interval": 300},
    5: {"ssh_client_alive_interval": 300},
}
# Host variables a baseline's catalog `values` may set (the others, e.g. log retention, are shared-service vars).
HOST_VAR_PREFIXES = ("accounts_", "ssh_")
ENFORCED = frozenset(c for ids in ROLE_CONTROLS.values() for c in ids)
LEVELS = (1, 2, 3, 4, 5)


def applicable_controls(baseline: str, level: int) -> tuple[str, ...]:
    """Catalog controls the hardening roles enforce that apply at this level, sorted."""
    return tuple(sorted(c.id for c in resolve_baseline(baseline).controls_for(level) if c.id in ENFORCED))


def uncovered_controls(baseline: str, level: int) -> tuple[str, ...]:
    """host_hardening controls applicable at this level that no role enforces (reported, not hidden)."""
    return tuple(
        sorted(
            c.id
            for c in resolve_baseline(baseline).controls_for(level)
            if c.automatable_by == "host_hardening" and c.id not in ENFORCED
        )
    )


def level_vars(baseline: str, level: int) -> dict[str, Any]:
    """group_vars/level_N.yml: the controls in force, role switches and per-level values."""
    controls = set(applicable_controls(baseline, level))
    data: dict[str, Any] = {"itpark_level": level, "itpark_controls": sorted(controls)}
    for role, ids in ROLE_CONTROLS.items():
        data[f"{role}_enabled"] = bool(controls.intersection(ROLE_GATING.get(role, ids)))
    data["auditd_immutable"] = "LOG-08" in controls
    data.update(LEVEL_VALUES[level])
    data.update(baseline_values(baseline, level))
    return data


def baseline_values(baseline: str, level: int) -> dict[str, Any]:
    """The hardening values the baseline's catalog sets at this level (HOST-03 password policy, HOST-06 idle
    timeout, ...): each catalog value with an Ansible variable, as {variable: value}. Values without one (password
    history, inactive accounts, lock time) are left to the operator and listed by the transition report."""
    resolved = resolve_baseline(baseline)
    return {
        v.var: v.by_level[level]
        for v in sorted(resolved.values.values(), key=lambda v: v.var or "")
        if v.var and v.var.startswith(HOST_VAR_PREFIXES) and level in v.by_level
    }
