"""URL rules whose URL builders are compiled when first used, for the many apps a test process makes.

Werkzeug compiles two URL-building functions for every rule when an app registers it (Python code generated and
compiled per rule), although a test calls url_for on a handful of endpoints: that was the largest part of making
an app in a test (docs/BENCHMARKS.md, "make unit"). Matching requests is unchanged, and a builder, once compiled,
is Werkzeug's own. Written for Werkzeug 3's `Rule._compile_builder`; tests/test_lazy_url_rules.py checks the URLs
built through it are the ones the stock rule builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_real = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(compile_real(append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build
