"""Constants the docs tests share (a plain module: tests/ has no packages)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARKS = ("danang-itpark", "quangnam-cloud")
