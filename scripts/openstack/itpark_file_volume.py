"""A Cinder volume driver that stores each volume as a sparse file: a backend that needs no hardware.

Why not LVM on a loop file: this machine's kernel has no device-mapper (no /dev/mapper), so LVM could create a
volume group but never activate a logical volume, and the test must not touch the machine's real disks. Every
volume here is a real file of the requested size (sparse, so a 16 TB volume costs nothing), created, extended and
deleted by Cinder's volume service exactly as a storage backend would; attachments get a `local` connection to it.
"""

from __future__ import annotations

import contextlib
import os

from cinder import exception
from cinder.volume import configuration, driver
from oslo_config import cfg

OPTS = [cfg.StrOpt("file_volume_dir", help="directory holding one sparse file per volume")]
cfg.CONF.register_opts(OPTS, group=configuration.SHARED_CONF_GROUP)


class FileVolumeDriver(driver.VolumeDriver):
    VERSION = "1.0.0"
    CI_WIKI_NAME = "none"

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(OPTS)
        self._stats: dict = {}

    def _path(self, volume) -> str:  # type: ignore[no-untyped-def]
        return os.path.join(self.configuration.file_volume_dir, f"volume-{volume.id}")

    def do_setup(self, context) -> None:  # type: ignore[no-untyped-def]
        os.makedirs(self.configuration.file_volume_dir, exist_ok=True)

    def check_for_setup_error(self) -> None:
        if not os.access(self.configuration.file_volume_dir, os.W_OK):
            raise exception.VolumeBackendAPIException(data="file_volume_dir is not writable")

    def _update_volume_stats(self) -> None:
        self._stats = {
            "volume_backend_name": self.configuration.safe_get("volume_backend_name") or "file",
            "vendor_name": "itpark tests",
            "driver_version": self.VERSION,
            "storage_protocol": "local",
            "total_capacity_gb": 1024 * 1024,
            "free_capacity_gb": 1024 * 1024,
            "reserved_percentage": 0,
            "thin_provisioning_support": True,
            "max_over_subscription_ratio": 100.0,
            "multiattach": False,
        }

    def get_volume_stats(self, refresh: bool = False) -> dict:
        if refresh or not self._stats:
            self._update_volume_stats()
        return self._stats

    def create_volume(self, volume) -> None:  # type: ignore[no-untyped-def]
        with open(self._path(volume), "xb") as f:
            f.truncate(volume.size * 1024**3)

    def delete_volume(self, volume) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(volume))

    def extend_volume(self, volume, new_size) -> None:  # type: ignore[no-untyped-def]
        os.truncate(self._path(volume), new_size * 1024**3)

    def create_export(self, context, volume, connector):  # type: ignore[no-untyped-def]
        return None

    def ensure_export(self, context, volume):  # type: ignore[no-untyped-def]
        return None

    def remove_export(self, context, volume) -> None:  # type: ignore[no-untyped-def]
        pass

    def initialize_connection(self, volume, connector):  # type: ignore[no-untyped-def]
        return {"driver_volume_type": "local", "data": {"device_path": self._path(volume)}}

    def terminate_connection(self, volume, connector, **kwargs) -> None:  # type: ignore[no-untyped-def]
        pass
