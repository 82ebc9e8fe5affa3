"""Compiled Jinja templates shared by every app a test process makes.

Each test makes its own app, and so its own Jinja environment, which would parse and compile every template it draws
again (about 40 ms a template, over a third of an inbox test's time; docs/BENCHMARKS.md). Jinja's bytecode cache
keys each template by name and checks it against the template's source, so an edited template is compiled anew.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class ProcessBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


SHARED = ProcessBytecodeCache()


def sharing_templates(app: Flask) -> Flask:
    app.jinja_env.bytecode_cache = SHARED
    return app
