"""A small Graphviz layout server: DOT in, SVG out, each graph laid out in a fresh fork of a warmed-up process.

Run as a script (`python -I gvfork.py`), never imported by itpark: it must stay a tiny process so forking is
cheap. Why fork: Graphviz 2.4x keeps state from one layout to the next inside a process, so laying out many
graphs in one process is not reproducible; a `dot` process per graph is, but pays start-up and font loading
every time. Here libgvc is loaded and warmed up once with a fixed graph, and every request is laid out by a
child forked from that same state, so each result depends on its own DOT only.

Protocol on stdin/stdout: the server writes b"R" when ready; a request is a 4-byte big-endian length and the
DOT bytes; the answer is b"O" (ok) or b"F" (failed), a 4-byte length and the SVG bytes.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

WARM_UP = b"""digraph warm { graph [rankdir=LR compound=true fontname="DejaVu Sans"]
node [shape=box style="rounded,filled" fontname="DejaVu Sans" fontsize=10]
edge [fontname="DejaVu Sans" fontsize=9]
subgraph cluster_a { label="a\\n10.0.0.0/24"; a1 [label="a1\\n10.0.0.1\\n2001:db8::1"] }
t [shape=plain label=<<table border="0"><tr><td><b>x</b><br/>y</td></tr></table>>]
a1 -> t [label="443/tcp" lhead=cluster_a] }
"""


def _load() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    gvc = ctypes.CDLL("libgvc.so.6")
    cgraph = ctypes.CDLL("libcgraph.so.6")
    cgraph.agmemread.restype = ctypes.c_void_p
    cgraph.agmemread.argtypes = [ctypes.c_char_p]
    gvc.gvContext.restype = ctypes.c_void_p
    gvc.gvLayout.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
    gvc.gvRenderData.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
    return gvc, cgraph


def main() -> int:
    out, inp = sys.stdout.buffer, sys.stdin.buffer
    try:
        gvc, cgraph = _load()
    except (OSError, AttributeError):
        return 3  # no libgvc here: the caller falls back to one `dot` process per graph
    context = gvc.gvContext()

    def render(source: bytes) -> bytes:
        graph = cgraph.agmemread(source)
        if not graph or gvc.gvLayout(context, graph, b"dot") != 0:
            raise ValueError("layout failed")
        data, length = ctypes.c_void_p(), ctypes.c_size_t(0)  # the length is unsigned int or size_t by version
        if gvc.gvRenderData(context, graph, b"svg", ctypes.byref(data), ctypes.byref(length)) != 0:
            raise ValueError("render failed")
        return ctypes.string_at(data, length.value)

    render(WARM_UP)  # fonts, plugins and caches loaded once; every child starts from this same state
    out.write(b"R")
    out.flush()
    while True:
        header = inp.read(4)
        if len(header) < 4:
            return 0
        source = inp.read(struct.unpack(">I", header)[0])
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                view = memoryview(render(source))
                while view:
                    view = view[os.write(write_end, view) :]
                os._exit(0)
            except BaseException:
                os._exit(1)
        os.close(write_end)
        chunks = []
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        svg = b"".join(chunks)
        ok = status == 0 and bool(svg)
        out.write((b"O" if ok else b"F") + struct.pack(">I", len(svg) if ok else 0) + (svg if ok else b""))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
