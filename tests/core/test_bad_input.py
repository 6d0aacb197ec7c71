"""Each class of bad input gets one clear message: file, line, field path, what was expected; exit 2."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core.conftest import run_cli

Edit = Callable[[Path], str]  # changes the park, returns the file (relative) the error must name


def replace(relative: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(root: Path) -> str:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture drift: {old!r} not in {relative}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")
        return relative

    return edit


def write(relative: str, text: str) -> Edit:
    def edit(root: Path) -> str:
        (root / relative).write_text(text, encoding="utf-8")
        return relative

    return edit


def both(*edits: Edit) -> Edit:
    def edit(root: Path) -> str:
        return [e(root) for e in edits][-1]

    return edit


NEW_TENANT = """name: Late Comer
kind: enterprise
owner: Late Comer IT
systems:
  - id: big
    title: Too big
    level: 2
    tiers:
      - {name: app, zone: app, count: 60}
"""

# (case id, edit, expected line, expected field path, expected words)
CASES = [
    (
        "malformed-yaml",
        replace("tenants/softviet.yaml", "kind: enterprise", "kind: [enterprise"),
        4,
        "",
        "malformed YAML",
    ),
    ("unknown-field", replace("tenants/softviet.yaml", "contact:", "contakt:"), 6, "contakt", "unknown field"),
    (
        "missing-field",
        replace("tenants/softviet.yaml", "owner: SoftViet IT Department\n", ""),
        1,
        "owner",
        "required field is missing",
    ),
    (
        "wrong-type",
        replace(
            "tenants/softviet.yaml",
            'count: 2, flavor: m1.medium, ports: ["443/tcp"]',
            'count: two, flavor: m1.medium, ports: ["443/tcp"]',
        ),
        14,
        "systems[0].tiers[0].count",
        "valid integer",
    ),
    (
        "level-outside-1-5",
        replace("tenants/softviet.yaml", "level: 2", "level: 7"),
        11,
        "systems[0].level",
        "less than or equal to 5",
    ),
    (
        "level-as-string-not-coerced",
        replace("tenants/softviet.yaml", "level: 2", 'level: "3"'),
        11,
        "systems[0].level",
        "valid integer, got '3'",
    ),
    (
        "level-as-bool-not-coerced",
        replace("tenants/softviet.yaml", "level: 2", "level: true"),
        11,
        "systems[0].level",
        "valid integer, got True",
    ),
    (
        "count-as-string-not-coerced",
        replace("tenants/softviet.yaml", "count: 1, flavor: m1.large", 'count: "1", flavor: m1.large'),
        16,
        "systems[0].tiers[2].count",
        "valid integer",
    ),
    (
        "volume-size-as-float-not-coerced",
        replace("tenants/softviet.yaml", "volume_gb: 200", "volume_gb: 200.0"),
        16,
        "systems[0].tiers[2].volume_gb",
        "valid integer",
    ),
    (
        "bool-as-string-not-coerced",
        replace("tenants/softviet.yaml", "contact: it@", 'decommission: "false"\ncontact: it@'),
        6,
        "decommission",
        "valid boolean, got 'false'",
    ),
    (
        "addressing-prefix-as-string",
        replace("park.yaml", "defaults:\n", "addressing: {zone_prefix_v4: '26'}\ndefaults:\n"),
        46,
        "addressing.zone_prefix_v4",
        "valid integer",
    ),
    (
        "shared-service-count-as-bool",
        replace("park.yaml", "{kind: mirror, count: 1,", "{kind: mirror, count: true,"),
        37,
        "shared_services[8].count",
        "valid integer",
    ),
    (
        "bad-port",
        replace("tenants/softviet.yaml", '["8080/tcp"], role: java-api', '["8080/tpc"], role: java-api'),
        15,
        "systems[0].tiers[1].ports[0]",
        "expected a port such as",
    ),
    (
        "duplicate-system-id",
        replace("tenants/so-tttt.yaml", "id: mail", "id: portal"),
        52,
        "systems[1].id",
        "duplicate system id 'portal'",
    ),
    (
        "duplicate-yaml-key",
        replace("tenants/softviet.yaml", "kind: enterprise", "kind: enterprise\nkind: agency"),
        5,
        "",
        "duplicate key 'kind'",
    ),
    (
        "overlapping-supernets",
        replace(
            "park.yaml",
            "    availability_zones: [az1, az2]\noperator",
            "    availability_zones: [az1, az2]\n  - {id: dc2, title: Two, ipv4_supernet: "
            "10.40.128.0/17, ipv6_prefix: '2001:db8:5000::/40'}\noperator",
        ),
        19,
        "sites[1].ipv4_supernet",
        "overlaps 10.40.0.0/16",
    ),
    (
        "non-private-supernet",
        replace("park.yaml", "ipv4_supernet: 10.40.0.0/16", "ipv4_supernet: 8.8.0.0/16"),
        16,
        "sites[0].ipv4_supernet",
        "expected a private IPv4 supernet",
    ),
    (
        "host-bits-set",
        replace("park.yaml", "ipv4_supernet: 10.40.0.0/16", "ipv4_supernet: 10.40.0.1/16"),
        16,
        "sites[0].ipv4_supernet",
        "no host bits",
    ),
    (
        "flow-unknown-zone",
        replace("tenants/softviet.yaml", "{from: dmz, to: app", "{from: dmz, to: database"),
        18,
        "systems[0].flows[0].to",
        "unknown zone 'database'",
    ),
    (
        "flow-zone-not-used",
        replace("tenants/softviet.yaml", "{from: dmz, to: app", "{from: dmz, to: data"),
        18,
        "systems[0].flows[0].to",
        "zone 'data' is not used by this system",
    ),
    (
        "flow-unknown-service",
        replace("tenants/softviet.yaml", "{from: app, to: app", "{from: app, to: service:erp"),
        19,
        "systems[0].flows[1].to",
        "unknown service 'erp'",
    ),
    (
        "service-not-offered",
        replace("tenants/softviet.yaml", "services: [backup, sso, mirror]", "services: [backup, lgsp]"),
        12,
        "systems[0].services[1]",
        "service 'lgsp' is not offered by the park",
    ),
    (
        "unknown-site",
        replace("tenants/softviet.yaml", "    level: 2\n", "    level: 2\n    site: dc9\n"),
        12,
        "systems[0].site",
        "unknown site 'dc9'",
    ),
    (
        "unknown-flavor",
        replace("tenants/softviet.yaml", "flavor: m1.large", "flavor: m9.huge"),
        16,
        "systems[0].tiers[2].flavor",
        "unknown flavor 'm9.huge'",
    ),
    (
        "unknown-baseline",
        replace("park.yaml", "baseline: tcvn-14423-2026", "baseline: iso-27001"),
        11,
        "baseline",
        "unknown baseline",
    ),
    (
        "quota-too-small-for-volumes",
        replace("tenants/so-tttt.yaml", "volume_gb: 4000}", "volume_gb: 3000}"),
        7,
        "quotas.volume_gb",
        "quota 3000 is too small: the tenant's hosts need 3210 GB of volumes",
    ),
    (
        "storage-path-only-an-image-can-place",
        replace(
            "park.yaml",
            "  image: debian-12\n  mandatory",
            "  image: debian-12\n  storage: {mounts: [{path: /var, size_gb: 20}]}\n  mandatory",
        ),
        49,
        "defaults.storage.mounts",
        "/var: the host image decides these",
    ),
    (
        "port-zero",
        replace("tenants/softviet.yaml", '["8080/tcp"], role: java-api', '["0/tcp"], role: java-api'),
        15,
        "systems[0].tiers[1].ports[0]",
        "expected ports from 1 to 65535",
    ),
    (
        "port-above-65535",
        replace("tenants/softviet.yaml", '["8080/tcp"], role: java-api', '["65536/tcp"], role: java-api'),
        15,
        "systems[0].tiers[1].ports[0]",
        "expected ports from 1 to 65535",
    ),
    (
        "service-prefix-does-not-fit",
        replace("park.yaml", "defaults:\n", "addressing: {service_prefix_v4: 24}\ndefaults:\n"),
        46,
        "addressing.service_prefix_v4",
        "/24 service subnets give 4 slots in the /22 shared-services block, but the park's services need 10",
    ),
    (
        "shared-v6-prefix-longer-than-56",
        replace("park.yaml", "defaults:\n", "addressing: {shared_prefix_v6: 60}\ndefaults:\n"),
        46,
        "addressing.shared_prefix_v6",
        "less than or equal to 56, got 60",
    ),
    (
        "site-v6-prefix-too-small-for-the-shared-block",
        both(
            replace("park.yaml", "ipv6_prefix: 2001:db8:4000::/40", "ipv6_prefix: 2001:db8:4000::/52"),
            replace("park.yaml", "defaults:\n", "addressing: {shared_prefix_v6: 48}\ndefaults:\n"),
        ),
        17,
        "sites[0].ipv6_prefix",
        "/52 is too small: a site needs a /48 shared-services block + a /60 system block",
    ),
    (
        "site-v6-prefix-56",
        replace("park.yaml", "ipv6_prefix: 2001:db8:4000::/40", "ipv6_prefix: 2001:db8:4000::/56"),
        17,
        "sites[0].ipv6_prefix",
        "expected an IPv6 prefix from /32 to /52, got /56",
    ),
    (
        "site-v4-without-length",
        replace("park.yaml", "ipv4_supernet: 10.40.0.0/16", "ipv4_supernet: 10.40.0.0"),
        16,
        "sites[0].ipv4_supernet",
        "in CIDR form (address/length)",
    ),
    (
        "tenant-does-not-fit",
        write("tenants/late-comer.yaml", NEW_TENANT),
        9,
        "systems[0].tiers[0].count",
        "does not fit",
    ),
]


@pytest.mark.parametrize(("case", "edit", "line", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_precisely(park_copy, case: str, edit: Edit, line: int, field: str, words: str) -> None:
    root = park_copy()
    relative = edit(root)
    result = run_cli("validate", str(root))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    where = re.escape(f"{root / relative}:{line}: ")
    pattern = where + (re.escape(field) + ": " if field else "") + ".*" + re.escape(words)
    assert re.search(pattern, result.stderr), result.stderr
    assert "problem" in result.stderr.splitlines()[-1]


def test_tenant_that_does_not_fit_the_remaining_space(park_copy) -> None:
    root = park_copy()
    park = root / "park.yaml"
    # a /20 site: core /24, shared /22, then room for only a few /23 system blocks
    park.write_text(
        park.read_text(encoding="utf-8")
        .replace("ipv4_supernet: 10.40.0.0/16", "ipv4_supernet: 10.40.0.0/20")
        .replace("defaults:\n", "addressing: {core_prefix_v4: 24}\ndefaults:\n"),
        encoding="utf-8",
    )
    shutil.rmtree(root / "ledger")
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert re.search(
        r"tenants/\S+\.yaml:\d+: systems\[0\]\.site: does not fit: site dc1 \(10\.40\.0\.0/20", result.stderr
    )


def test_every_problem_is_reported_in_one_pass(park_copy) -> None:
    root = park_copy()
    replace("tenants/softviet.yaml", "level: 2", "level: 9")(root)
    replace("tenants/mekong-ai.yaml", "kind: enterprise", "kind: company")(root)
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert "softviet.yaml" in result.stderr and "mekong-ai.yaml" in result.stderr
    assert "2 problems found" in result.stderr


def test_a_stack_that_is_not_a_park_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("plan", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no such park directory" in result.stderr
    result = run_cli("plan", str(tmp_path))
    assert result.returncode == 2 and "park.yaml not found" in result.stderr


def ledger_files(root: Path) -> dict[str, bytes]:
    files = sorted((root / "ledger").glob("*.yaml")) + sorted(root.glob("allocations.yaml"))
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


def assert_refused(root: Path, where: Path, words: str) -> str:
    """`validate` exits 2, names `where` and says `words`; `allocate` refuses too and leaves the ledger alone."""
    before = ledger_files(root)
    assert before, "fixture drift: the example has no ledger"
    for command in ("validate", "allocate"):
        result = run_cli(command, str(root))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert re.search(re.escape(f"{where}: ") + ".*" + re.escape(words), result.stderr), result.stderr
    assert ledger_files(root) == before
    return result.stderr


@pytest.mark.parametrize("outside", [True, False], ids=["outside-the-park", "inside-the-park"])
def test_a_symlinked_tenant_file_is_refused(park_copy, tmp_path: Path, outside: bool) -> None:
    root = park_copy()
    target = tmp_path / "elsewhere.yaml" if outside else root / "softviet-copy.yaml"
    target.write_text(NEW_TENANT.replace("count: 60", "count: 1"), encoding="utf-8")
    link = root / "tenants" / "late-comer.yaml"
    link.symlink_to(target)
    assert_refused(root, link, f"not symbolic links (to {target})")


def test_a_symlinked_tenants_directory_is_refused(park_copy, tmp_path: Path) -> None:
    root = park_copy()
    (root / "tenants").rename(tmp_path / "real-tenants")
    (root / "tenants").symlink_to(tmp_path / "real-tenants")
    assert_refused(root, root / "tenants", "must be in the park, not a symbolic link")


def test_a_missing_tenants_directory_is_an_error_not_a_park_without_tenants(park_copy) -> None:
    root = park_copy()
    shutil.rmtree(root / "tenants")
    assert_refused(root, root / "tenants", "no tenants/ directory")


def test_a_misnamed_tenants_directory_is_named(park_copy) -> None:
    root = park_copy()
    (root / "tenants").rename(root / "Tenant")
    assert_refused(root, root / "tenants", "(found Tenant/: rename it to tenants/)")


def test_an_empty_tenants_directory_is_an_error(park_copy) -> None:
    root = park_copy()
    shutil.rmtree(root / "tenants")
    (root / "tenants").mkdir()
    (root / "tenants" / ".gitkeep").touch()
    assert_refused(root, root / "tenants", "no tenant files (<id>.yaml) in tenants/")


@pytest.mark.parametrize("name", ["softviet.YAML", "softviet.yaml.bak", "softviet.json"])
def test_a_misnamed_tenant_file_is_an_error_not_a_retired_tenant(park_copy, name: str) -> None:
    root = park_copy()
    (root / "tenants" / "softviet.yaml").rename(root / "tenants" / name)
    assert_refused(root, root / "tenants" / name, f"expected only tenant files <id>.yaml in tenants/, got {name!r}")


def test_a_level_5_system_needs_a_dr_site(park_copy) -> None:
    root = park_copy("quangnam-cloud")
    replace("tenants/cong-an-tinh.yaml", "    level: 4\n    site: tamky\n    dr_site: hoian\n", "    level: 5\n")(root)
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    expected = f"{root}/tenants/cong-an-tinh.yaml:8: systems[0].dr_site: a level-5 system needs a disaster-recovery "
    assert expected + "site at another site (NET-19); set dr_site to one of ['hoian']" in result.stderr
    replace("tenants/cong-an-tinh.yaml", "    level: 5\n", "    level: 5\n    dr_site: hoian\n")(root)
    assert run_cli("validate", str(root)).returncode == 0


def test_a_level_5_system_in_a_one_site_park_is_refused(park_copy) -> None:
    root = park_copy()
    replace("tenants/softviet.yaml", "level: 2", "level: 5")(root)
    result = run_cli("validate", str(root))
    assert result.returncode == 2
    assert "softviet.yaml:8: systems[0].dr_site: a level-5 system needs" in result.stderr
    assert "the park has one site: add a second one" in result.stderr


def small_tenant(system: str, tier: str = "app", zone: str = "app") -> str:
    return NEW_TENANT.replace("id: big", f"id: {system}").replace(
        "{name: app, zone: app, count: 60}", f"{{name: {tier}, zone: {zone}, count: 1}}"
    )


@pytest.mark.parametrize(
    ("tenant", "words"),
    [
        ("shared", "tenant id 'shared' (the file name) is reserved for shared services' hosts"),
        ("park", "tenant id 'park' (the file name) is reserved for the park's own ledger keys"),
    ],
)
def test_reserved_tenant_ids_are_refused(park_copy, tenant: str, words: str) -> None:
    root = park_copy()
    # tenant `shared`, system `dc1`, tier `bastion` would own host:bastion-01.dc1.shared, the shared bastion's key
    write(f"tenants/{tenant}.yaml", small_tenant("dc1", tier="bastion"))(root)
    assert_refused(root, root / f"tenants/{tenant}.yaml:1", words)


def test_joined_names_that_collide_are_refused_naming_both_files(park_copy) -> None:
    root = park_copy()
    write("tenants/so.yaml", small_tenant("tttt-portal"))(root)
    stderr = assert_refused(
        root,
        root / "tenants/so-tttt.yaml:9",
        "systems[0].id: router of system so-tttt/portal would be named 'so-tttt-portal', as the router of system "
        f"so/tttt-portal in {root / 'tenants/so.yaml'}:5",
    )
    assert len([line for line in stderr.splitlines() if "would be named" in line]) == 1, stderr


@pytest.mark.parametrize(
    ("tenant", "system", "where"),
    [
        ("danang-itpark-shared", "erp", ":1: project of tenant 'danang-itpark-shared' would be named"),
        ("shared-dc1", "dns", ":5: systems[0].id: router of system shared-dc1/dns would be named 'shared-dc1-dns'"),
        ("core", "dc1", ":5: systems[0].id: router of system core/dc1 would be named 'core-dc1', as the park's core"),
    ],
)
def test_tenant_names_that_meet_park_level_names_are_refused(park_copy, tenant: str, system: str, where: str) -> None:
    root = park_copy()
    write(f"tenants/{tenant}.yaml", small_tenant(system))(root)
    line, words = where[1:].split(": ", 1)
    assert_refused(root, Path(f"{root / 'tenants' / tenant}.yaml:{line}"), words)


def test_a_system_whose_dr_networks_meet_another_systems_networks_is_refused(park_copy) -> None:
    root = park_copy()
    text = small_tenant("erp")
    text += text[text.index("  - id: erp") :].replace("id: erp", "id: erp-dr")
    write("tenants/late-comer.yaml", text)(root)
    words = "systems[1].id: dmz network of system late-comer/erp-dr would be named 'late-comer-erp-dr-dmz', as the DR"
    assert_refused(root, root / "tenants/late-comer.yaml:10", words)
