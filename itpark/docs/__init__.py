"""Rendered docs for auditors: overview, topology, address plan, flow and compliance matrices, level dossiers."""

from itpark.docs.render import LANGS, differences, render_docs, write_docs

__all__ = ["LANGS", "differences", "render_docs", "write_docs"]
