"""Serve a WSGI application (Keystone, Placement) on 127.0.0.1 with one thread per request: no Apache, no uwsgi."""

from __future__ import annotations

import importlib
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(factory: str, port: int) -> None:
    """`factory` is 'module:callable' returning the application."""
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    make_server("127.0.0.1", port, app, server_class=_Server, handler_class=_Quiet).serve_forever()
