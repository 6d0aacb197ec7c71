#!/usr/bin/python3
"""Start and stop a real OpenStack control plane for the tests, without systemd, on 127.0.0.1 only.

Run with Debian's /usr/bin/python3 (the OpenStack libraries come from Debian 12's Zed packages, installed by
scripts/openstack/install). Every daemon is started here as a child process in its own session, with its pid in
STATE/pids/, and stopped by that pid:

    controlplane.py start --state DIR [--physnet NAME ...] [--az NAME ...]   # prints the cloud as JSON
    controlplane.py stop --state DIR                                        # stops every daemon, removes DIR

What runs: MariaDB (unix socket only), RabbitMQ, Keystone and Placement (WSGI apps in a threaded server), Glance
(file store), Nova API/conductor/scheduler and four nova-compute hosts with the fake virt driver, Neutron (ML2 with
flat and VLAN types and the router service plugin) with a stand-in Open vSwitch agent that reports the four hosts
so ports bind, and Cinder with a file-backed volume driver (one backend per availability zone).
Exit codes: 0 ok, 1 a service failed to start (its log is named), 2 bad usage or missing packages.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = "/usr/bin/python3"
HOSTS = ("compute-1", "compute-2", "compute-3", "compute-4")
PASSWORD = "itpark-test"  # a throw-away password of a cloud that exists only for one test session
PORTS = {"keystone": 28000, "placement": 28001, "nova": 28002, "neutron": 28003, "cinder": 28004, "glance": 28005}
RABBIT_PORT, EPMD_PORT, DIST_PORT = 28006, 28007, 28008
DATABASES = ("keystone", "placement", "nova_api", "nova", "nova_cell0", "neutron", "cinder", "glance")
TENANT_PHYSNET = "physnet-tenant"
CACHE = Path("/var/cache/itpark/openstack")  # the databases after every migration, per package versions
SCHEMA_VERSION = 1  # bump when what the cached databases hold changes


def say(msg: str) -> None:
    print(f"[openstack] {msg}", file=sys.stderr, flush=True)


class Fail(Exception):
    pass


# ---------------------------------------------------------------- configuration files


def _ini(sections: dict[str, dict[str, object]]) -> str:
    out = []
    for name, items in sections.items():
        out.append(f"[{name}]")
        out += [f"{k} = {v}" for k, v in items.items()]
        out.append("")
    return "\n".join(out)


class Cloud:
    def __init__(self, state: Path, physnets: list[str], azs: list[str]) -> None:
        self.state = state
        self.physnets = sorted({*physnets, TENANT_PHYSNET})
        self.azs = azs or ["nova"]
        self.etc = state / "etc"
        self.logs = state / "log"
        self.pids = state / "pids"
        self.sock = state / "mysql.sock"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{PORTS[service]}"

    def db(self, name: str) -> str:
        return f"mysql+pymysql://root@localhost/{name}?unix_socket={self.sock}&charset=utf8"

    @property
    def transport(self) -> str:
        return f"rabbit://guest:guest@127.0.0.1:{RABBIT_PORT}/"

    def auth(self, **extra: object) -> dict[str, object]:
        return {
            "auth_type": "password",
            "auth_url": self.url("keystone") + "/v3",
            "username": "admin",
            "password": PASSWORD,
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
            "region_name": "RegionOne",
            **extra,
        }

    def common(self) -> dict[str, object]:
        return {
            "transport_url": self.transport,
            "debug": "false",
            "use_stderr": "true",
            "state_path": self.state / "lib",
        }

    def write_configs(self) -> None:
        self.etc.mkdir(parents=True, exist_ok=True)
        authtoken = {
            "www_authenticate_uri": self.url("keystone"),
            "memcached_servers": "",
            "service_token_roles_required": "true",
            **self.auth(),
        }
        authtoken.pop("region_name")
        lock = {"lock_path": self.state / "lock"}
        files = {
            "keystone.conf": {
                "DEFAULT": {"debug": "false"},
                "database": {"connection": self.db("keystone")},
                "token": {"provider": "fernet"},
                "identity": {"password_hash_rounds": 4},  # bcrypt's minimum: a test cloud, two cores
                "fernet_tokens": {"key_repository": self.state / "keystone/fernet"},
                "fernet_receipts": {"key_repository": self.state / "keystone/fernet"},
                "credential": {"key_repository": self.state / "keystone/credential"},
            },
            "placement/placement.conf": {
                "DEFAULT": {"debug": "false"},
                "placement_database": {"connection": self.db("placement")},
                "api": {"auth_strategy": "keystone"},
                "keystone_authtoken": authtoken,
            },
            "glance-api.conf": {
                "DEFAULT": {
                    "bind_host": "127.0.0.1",
                    "bind_port": PORTS["glance"],
                    "workers": 1,
                    "enabled_backends": "fs:file",
                    "debug": "false",
                },
                "database": {"connection": self.db("glance")},
                "glance_store": {"default_backend": "fs"},
                "fs": {"filesystem_store_datadir": self.state / "images"},
                "os_glance_staging_store": {"filesystem_store_datadir": self.state / "images-staging"},
                "os_glance_tasks_store": {"filesystem_store_datadir": self.state / "images-tasks"},
                "paste_deploy": {"flavor": "keystone", "config_file": HERE / "paste/glance-api-paste.ini"},
                "keystone_authtoken": authtoken,
            },
            "nova.conf": {
                "DEFAULT": {
                    **self.common(),
                    "compute_driver": "fake.FakeDriver",
                    "my_ip": "127.0.0.1",
                    "enabled_apis": "osapi_compute",
                    "osapi_compute_listen": "127.0.0.1",
                    "osapi_compute_listen_port": PORTS["nova"],
                    "osapi_compute_workers": 1,
                    "instances_path": self.state / "lib/instances",
                    "use_rootwrap_daemon": "false",
                    "scheduler_instance_sync_interval": 10,
                },
                "wsgi": {"api_paste_config": HERE / "paste/nova-api-paste.ini"},
                "api_database": {"connection": self.db("nova_api")},
                "database": {"connection": self.db("nova")},
                "api": {"auth_strategy": "keystone"},
                "keystone_authtoken": authtoken,
                "placement": self.auth(),
                "neutron": self.auth(),
                "cinder": {"os_region_name": "RegionOne", "catalog_info": "volumev3::publicURL"},
                "glance": {"region_name": "RegionOne"},
                "conductor": {"workers": 1},
                "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": -1},
                "key_manager": {"backend": "nova.keymgr.conf_key_mgr.ConfKeyManager", "fixed_key": "0" * 64},
                # Debian's Zed carries OSSA-2023-003: Nova sends a service token, which must hold the service role
                "service_user": {"send_service_user_token": "true", **self.auth()},
                "oslo_concurrency": lock,
                "oslo_messaging_notifications": {"driver": "noop"},
                "vnc": {"enabled": "false"},
            },
            "neutron.conf": {
                "DEFAULT": {
                    **self.common(),
                    "bind_host": "127.0.0.1",
                    "bind_port": PORTS["neutron"],
                    "core_plugin": "ml2",
                    "service_plugins": "router",
                    "api_workers": 2,
                    "rpc_workers": 1,
                    "rpc_state_report_workers": 1,
                    "notify_nova_on_port_status_changes": "false",
                    "notify_nova_on_port_data_changes": "false",
                    "api_paste_config": HERE / "paste/neutron-api-paste.ini",
                    "agent_down_time": 600,
                    "ipv6_pd_enabled": "false",
                },
                "database": {"connection": self.db("neutron")},
                "keystone_authtoken": authtoken,
                "oslo_concurrency": lock,
                "agent": {"report_interval": 20},
                "ml2": {
                    "type_drivers": "flat,vlan",
                    "tenant_network_types": "vlan",
                    "mechanism_drivers": "openvswitch",
                    "extension_drivers": "port_security",
                },
                "ml2_type_flat": {"flat_networks": "*"},
                "ml2_type_vlan": {
                    "network_vlan_ranges": ",".join(
                        f"{p}:1000:2999" if p == TENANT_PHYSNET else p for p in self.physnets
                    )
                },
                "securitygroup": {"firewall_driver": "openvswitch", "enable_security_group": "true"},
            },
            "cinder.conf": {
                "DEFAULT": {
                    **self.common(),
                    "osapi_volume_listen": "127.0.0.1",
                    "osapi_volume_listen_port": PORTS["cinder"],
                    "osapi_volume_workers": 1,
                    "api_paste_config": HERE / "paste/cinder-api-paste.ini",
                    "enabled_backends": ",".join(f"file-{az}" for az in self.azs),
                    "storage_availability_zone": self.azs[0],
                    "default_volume_type": "__DEFAULT__",
                    "auth_strategy": "keystone",
                    "my_ip": "127.0.0.1",
                },
                "database": {"connection": self.db("cinder")},
                "keystone_authtoken": authtoken,
                "oslo_concurrency": lock,
                "key_manager": {"backend": "cinder.keymgr.conf_key_mgr.ConfKeyManager", "fixed_key": "0" * 64},
                **{
                    f"file-{az}": {
                        "volume_driver": "itpark_file_volume.FileVolumeDriver",
                        "volume_backend_name": f"file-{az}",
                        "backend_availability_zone": az,
                        "file_volume_dir": self.state / "volumes" / az,
                    }
                    for az in self.azs
                },
            },
        }
        for host in HOSTS:
            files[f"compute/{host}.conf"] = {"DEFAULT": {"host": host}}
        for name, sections in files.items():
            path = self.etc / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_ini(sections), encoding="utf-8")
        (self.etc / "bridge_mappings.json").write_text(
            json.dumps({p: f"br-{i}" for i, p in enumerate(self.physnets)}), encoding="utf-8"
        )

    # ------------------------------------------------------------ processes

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PYTHON"))}
        env["PYTHONPATH"] = str(HERE)
        env["OS_KEYSTONE_CONFIG_FILES"] = str(self.etc / "keystone.conf")
        env["OS_PLACEMENT_CONFIG_DIR"] = str(self.etc / "placement")
        env["HOME"] = str(self.state / "home")
        return env

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pids.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env or self.env(), start_new_session=True
        )
        (self.pids / f"{name}.pid").write_text(str(proc.pid), encoding="utf-8")

    def python(self, name: str, code: str) -> None:
        self.spawn(name, [PY, "-c", code])

    def run(self, what: str, argv: list[str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in what)
        with open(self.logs / f"setup-{slug}.log", "ab") as log:
            log.write(f"$ {' '.join(argv)}\n".encode())
            log.flush()
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env()).returncode
        if rc:
            raise Fail(f"{what} failed (exit {rc}); see {self.logs / f'setup-{slug}.log'}")

    def manage(self, what: str, module: str, *args: str) -> None:
        self.run(
            what, [PY, "-c", f"import sys; from {module} import main; sys.argv[0] = 'manage'; sys.exit(main())", *args]
        )

    def alive(self, name: str) -> bool:
        try:
            pid = int((self.pids / f"{name}.pid").read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
        return True

    def wait(self, name: str, check, timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(name):
                raise Fail(f"{name} exited during start-up; see {self.logs / (name + '.log')}")
            try:
                if check():
                    return
            except Exception:
                pass
            time.sleep(1)
        raise Fail(f"{name} not up after {timeout:.0f} s; see {self.logs / (name + '.log')}")

    # ------------------------------------------------------------ services

    def start_mariadb(self) -> None:
        data = self.state / "mysql"
        if not data.exists():
            self.run(
                "mariadb-install-db",
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
            )
        self.spawn(
            "mariadb",
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.sock}",
                "--skip-networking",
                "--user=root",
                f"--pid-file={self.state / 'mysql.pid'}",
                "--innodb-buffer-pool-size=128M",
                "--innodb-log-file-size=32M",
                "--performance-schema=OFF",
                "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=1000",
                "--character-set-server=utf8mb4",
                "--skip-name-resolve",
            ],
        )
        self.wait("mariadb", self.sock.exists, 120)
        self.wait("mariadb", lambda: self.sql("SELECT 1") is None, 120)
        self.sql("".join(f"CREATE DATABASE IF NOT EXISTS {d};" for d in DATABASES))

    def sql(self, statement: str) -> None:
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.sock}", "-uroot", "-e", statement],
            check=True,
            capture_output=True,
        )

    def start_rabbitmq(self) -> None:
        base = self.state / "rabbitmq"
        base.mkdir(parents=True, exist_ok=True)
        (base / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{RABBIT_PORT}\nloopback_users.guest = true\n"
            "disk_free_limit.absolute = 50MB\n",
            encoding="utf-8",
        )
        env = self.env()
        env.update(
            RABBITMQ_NODENAME="itpark@localhost",
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_LOGS="-",
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq"),
            RABBITMQ_DIST_PORT=str(DIST_PORT),
            ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_EPMD_PORT=str(EPMD_PORT),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            HOME=str(base),
        )
        # epmd in the foreground, tracked like every daemon (rabbitmq-server would fork it away as a daemon)
        self.spawn("epmd", ["epmd", "-address", "127.0.0.1", "-port", str(EPMD_PORT)], env)
        self.wait("epmd", lambda: _tcp_open(EPMD_PORT), 60)
        self.spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)

    def wsgi(self, name: str, factory: str) -> None:
        self.python(name, f"import wsgi_server; wsgi_server.serve({factory!r}, {PORTS[name]})")

    def wait_api(self, name: str, service: str) -> None:
        self.wait(name, lambda: _http_up(self.url(service)), 600)

    def keystone_files(self) -> None:
        conf = ["--config-file", str(self.etc / "keystone.conf")]
        for d in ("keystone/fernet", "keystone/credential"):
            (self.state / d).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.manage(
            "keystone fernet_setup",
            "keystone.cmd.manage",
            *conf,
            "fernet_setup",
            "--keystone-user",
            "root",
            "--keystone-group",
            "root",
        )
        self.manage(
            "keystone credential_setup",
            "keystone.cmd.manage",
            *conf,
            "credential_setup",
            "--keystone-user",
            "root",
            "--keystone-group",
            "root",
        )

    def migrate_keystone(self) -> None:
        conf = ["--config-file", str(self.etc / "keystone.conf")]
        self.manage("keystone db_sync", "keystone.cmd.manage", *conf, "db_sync")
        url = self.url("keystone") + "/v3/"
        self.manage(
            "keystone bootstrap",
            "keystone.cmd.manage",
            *conf,
            "bootstrap",
            "--bootstrap-password",
            PASSWORD,
            "--bootstrap-region-id",
            "RegionOne",
            "--bootstrap-admin-url",
            url,
            "--bootstrap-public-url",
            url,
            "--bootstrap-internal-url",
            url,
        )

    def migrate_placement(self) -> None:
        self.manage(
            "placement db sync",
            "placement.cmd.manage",
            "--config-file",
            str(self.etc / "placement/placement.conf"),
            "db",
            "sync",
        )

    def migrate_glance(self) -> None:
        self.manage(
            "glance db_sync", "glance.cmd.manage", "--config-file", str(self.etc / "glance-api.conf"), "db_sync"
        )

    def migrate_neutron(self) -> None:
        self.manage(
            "neutron-db-manage",
            "neutron.db.migration.cli",
            "--config-file",
            str(self.etc / "neutron.conf"),
            "upgrade",
            "heads",
        )

    def migrate_nova(self) -> None:
        conf = ["--config-file", str(self.etc / "nova.conf")]
        self.manage("nova api_db sync", "nova.cmd.manage", *conf, "api_db", "sync")
        self.manage("nova map_cell0", "nova.cmd.manage", *conf, "cell_v2", "map_cell0")
        self.manage("nova create_cell", "nova.cmd.manage", *conf, "cell_v2", "create_cell", "--name", "cell1")
        self.manage("nova db sync", "nova.cmd.manage", *conf, "db", "sync")

    def migrate_cinder(self) -> None:
        self.manage("cinder db sync", "cinder.cmd.manage", "--config-file", str(self.etc / "cinder.conf"), "db", "sync")

    def cache_file(self) -> Path:
        versions = subprocess.run(
            [
                "dpkg-query",
                "-W",
                "-f",
                "${Package}=${Version}\\n",
                *(f"python3-{m}" for m in ("keystone", "placement", "glance", "neutron", "nova", "cinder")),
            ],
            capture_output=True,
            text=True,
        ).stdout
        key = hashlib.sha256(f"{SCHEMA_VERSION}\n{PORTS}\n{PASSWORD}\n{versions}".encode()).hexdigest()[:16]
        return CACHE / f"databases-{key}.sql"

    def databases(self) -> bool:
        """Every service's database: restored from the cache when these package versions made one before
        (about 5 s instead of minutes of migrations). True when restored."""
        cache = self.cache_file()
        if cache.is_file():
            sql = cache.read_text(encoding="utf-8").replace("@STATE@", str(self.state))
            subprocess.run(
                ["mariadb", "--no-defaults", f"--socket={self.sock}", "-uroot"],
                input=sql,
                text=True,
                check=True,
                capture_output=True,
            )
            return True
        steps = (
            self.migrate_keystone,
            self.migrate_placement,
            self.migrate_glance,
            self.migrate_neutron,
            self.migrate_nova,
            self.migrate_cinder,
        )
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            for future in [pool.submit(step) for step in steps]:
                future.result()
        return False

    def save_databases(self) -> None:
        cache = self.cache_file()
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # not root: no cache, every start migrates
        dump = subprocess.run(
            [
                "mariadb-dump",
                "--no-defaults",
                f"--socket={self.sock}",
                "-uroot",
                "--single-transaction",
                "--skip-dump-date",
                "--databases",
                *DATABASES,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(dump.replace(str(self.state), "@STATE@"), encoding="utf-8")
        tmp.replace(cache)

    def register_services(self) -> None:
        import openstack

        conn = openstack.connect(**self.auth())
        services = [
            ("placement", "placement", self.url("placement")),
            ("nova", "compute", self.url("nova") + "/v2.1"),
            ("neutron", "network", self.url("neutron")),
            ("cinderv3", "volumev3", self.url("cinder") + "/v3/%(project_id)s"),
            ("cinder", "block-storage", self.url("cinder") + "/v3/%(project_id)s"),
            ("glance", "image", self.url("glance")),
        ]
        for name, kind, url in services:
            svc = conn.identity.create_service(name=name, type=kind)
            for iface in ("public", "internal", "admin"):
                conn.identity.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id="RegionOne")
        for role in ("member", "reader", "service"):
            if not conn.identity.find_role(role):
                conn.identity.create_role(name=role)

    def start_placement(self) -> None:
        self.wsgi("placement", "placement.wsgi:init_application")

    def start_glance(self) -> None:
        conf = ["--config-file", str(self.etc / "glance-api.conf")]
        self.spawn("glance", [PY, "-c", "import sys; from glance.cmd.api import main; sys.exit(main())", *conf])

    def start_nova(self) -> None:
        conf = ["--config-file", str(self.etc / "nova.conf")]
        for daemon in ("conductor", "scheduler"):
            self.spawn(f"nova-{daemon}", self.nova_cmd(daemon, conf))
        self.spawn("nova-api", self.nova_cmd("api", conf))
        for host in HOSTS:
            self.spawn(
                f"nova-compute-{host}",
                self.nova_cmd("compute", [*conf, "--config-file", str(self.etc / f"compute/{host}.conf")]),
            )

    @staticmethod
    def nova_cmd(daemon: str, conf: list[str]) -> list[str]:
        return [
            PY,
            "-c",
            f"import sys; from nova.cmd.{daemon} import main; sys.argv[0] = 'nova-{daemon}'; main()",
            *conf,
        ]

    def start_neutron(self) -> None:
        conf = ["--config-file", str(self.etc / "neutron.conf")]
        self.spawn(
            "neutron-server",
            [
                PY,
                "-c",
                "import sys; sys.argv[0] = 'neutron-server'; from neutron.cmd.eventlet.server import main; main()",
                *conf,
            ],
        )
        self.spawn(
            "neutron-agents",
            [
                PY,
                "-c",
                "import fake_ovs_agent; fake_ovs_agent.main()",
                *conf,
                "--",
                str(self.etc / "bridge_mappings.json"),
                *HOSTS,
            ],
        )

    def start_cinder(self) -> None:
        conf = ["--config-file", str(self.etc / "cinder.conf")]
        for az in self.azs:
            (self.state / "volumes" / az).mkdir(parents=True, exist_ok=True)
        for daemon in ("scheduler", "volume", "api"):
            self.spawn(
                f"cinder-{daemon}",
                [
                    PY,
                    "-c",
                    f"import sys; sys.argv[0] = 'cinder-{daemon}'; from cinder.cmd.{daemon} import main; main()",
                    *conf,
                ],
            )

    def finish(self) -> None:
        """Operator set-up the park assumes exists: compute hosts discovered and grouped into the availability
        zones, bound agents, volume services up."""
        import openstack

        conn = openstack.connect(**self.auth())
        admin = conn.identity.find_user("admin", domain_id="default")
        project = conn.identity.find_project("admin", domain_id="default")
        conn.identity.assign_project_role_to_user(project, admin, conn.identity.find_role("service"))
        deadline = time.monotonic() + 300
        while len([s for s in conn.compute.services() if s.binary == "nova-compute" and s.state == "up"]) < len(HOSTS):
            if time.monotonic() > deadline:
                raise Fail(f"nova-compute hosts not all up; see {self.logs}")
            time.sleep(2)
        self.manage(
            "nova discover_hosts",
            "nova.cmd.manage",
            "--config-file",
            str(self.etc / "nova.conf"),
            "cell_v2",
            "discover_hosts",
        )
        while len(list(conn.placement.resource_providers())) < len(HOSTS):
            if time.monotonic() > deadline:
                raise Fail("compute hosts not registered in Placement")
            time.sleep(2)
        per_az = max(1, len(HOSTS) // len(self.azs))
        for i, az in enumerate(self.azs):
            if az == "nova":
                continue
            agg = conn.compute.create_aggregate(name=f"az-{az}", availability_zone=az)
            for host in HOSTS[i * per_az : (i + 1) * per_az] or HOSTS[-1:]:
                conn.compute.add_host_to_aggregate(agg, host)
        while len([a for a in conn.network.agents() if a.is_alive]) < len(HOSTS):
            if time.monotonic() > deadline:
                raise Fail("the stand-in Open vSwitch agents did not report")
            time.sleep(2)
        while len(self._volume_services_up(conn)) < len(self.azs):
            if time.monotonic() > deadline:
                raise Fail("cinder-volume backends not up")
            time.sleep(2)

    @staticmethod
    def _volume_services_up(conn) -> list[dict]:  # type: ignore[no-untyped-def]
        services = conn.block_storage.get("/os-services").json()["services"]
        return [s for s in services if s["binary"] == "cinder-volume" and s["state"] == "up"]

    def start(self) -> dict[str, object]:
        t0 = time.monotonic()
        t = t0

        def step(what: str) -> None:
            nonlocal t
            say(f"{what}: {time.monotonic() - t:.0f} s")
            t = time.monotonic()

        self.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.write_configs()
        self.start_mariadb()
        self.start_rabbitmq()  # Erlang boots while the databases are made
        step("MariaDB")
        self.keystone_files()  # the key repositories Keystone's bootstrap needs
        restored = self.databases()
        step("databases " + ("restored from the cache" if restored else "migrated"))
        self.wsgi("keystone", "keystone.server.wsgi:initialize_public_application")
        self.wait_api("keystone", "keystone")
        if not restored:
            self.register_services()
            self.save_databases()
        step("Keystone")
        self.wait("rabbitmq", lambda: _tcp_open(RABBIT_PORT), 300)
        step("RabbitMQ")
        self.start_placement()
        self.start_glance()
        self.start_neutron()
        self.start_nova()
        self.start_cinder()
        for name, service in (
            ("placement", "placement"),
            ("glance", "glance"),
            ("neutron-server", "neutron"),
            ("nova-api", "nova"),
            ("cinder-api", "cinder"),
        ):
            self.wait_api(name, service)
        step("Placement, Glance, Neutron, Nova, Cinder APIs")
        self.finish()
        step("compute hosts, zones, agents and volume services")
        say(f"control plane up in {time.monotonic() - t0:.0f} s")
        return {
            "auth": self.auth(),
            "azs": self.azs,
            "physnets": self.physnets,
            "hosts": list(HOSTS),
            "state": str(self.state),
            "start_seconds": round(time.monotonic() - t0, 1),
            "databases_restored": restored,
        }

    def stop(self) -> None:
        pids = sorted(self.pids.glob("*.pid")) if self.pids.exists() else []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            live = []
            for f in pids:
                try:
                    pid = int(f.read_text())
                    os.killpg(pid, sig)  # the daemon's own session: its workers go with it
                    live.append(pid)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + 20
            while live and time.monotonic() < deadline:
                live = [p for p in live if _exists(p)]
                time.sleep(0.5)
            if not live:
                break
        shutil.rmtree(self.state, ignore_errors=True)


def _exists(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except OSError:
        return False
    with contextlib.suppress(ChildProcessError):  # reap it if it is our zombie (start and stop in one process)
        os.waitpid(pid, os.WNOHANG)
    return True


def _tcp_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _http_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--state", type=Path, required=True, help="state directory (created; removed by stop)")
    parser.add_argument("--physnet", action="append", default=[], help="a physical network the park names")
    parser.add_argument("--az", action="append", default=[], help="an availability zone the park names")
    args = parser.parse_args(argv)
    cloud = Cloud(args.state.resolve(), args.physnet, sorted(set(args.az)))
    if args.action == "stop":
        cloud.stop()
        return 0
    for module in ("nova", "neutron", "cinder", "keystone", "placement", "glance"):
        if not (Path("/usr/lib/python3/dist-packages") / module).is_dir():
            say(f"missing the Debian package python3-{module}: run scripts/openstack/install as root")
            return 2
    try:
        info = cloud.start()
    except Fail as err:
        say(f"error: {err}")
        return 1
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
