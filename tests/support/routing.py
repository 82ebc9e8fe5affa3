"""URL rules parsed once per process and with their URL builders compiled when first used, for the many apps a
test process makes.

Werkzeug parses every rule into its matching parts and compiles two URL-building functions for it (Python code
generated and compiled per rule) each time an app registers it, although every app of a test process registers
the same rules and a test calls url_for on a handful of endpoints: that was the largest part of making an app in
a test (docs/BENCHMARKS.md, "make unit"). Here a rule's parts are Werkzeug's own, parsed by the first app that
registered the same rule on a map with the same converters and reused by the next ones (parts, trace and
converters are only read once made); a builder, once compiled, is Werkzeug's own. Written for Werkzeug 3's
`Rule.compile` and `Rule._compile_builder`; tests/test_lazy_url_rules.py checks the URLs built and the requests
matched through them against the stock rule's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

# (rule, subdomain, host, merge_slashes, the map's host matching and converters) -> what Rule.compile parsed
_PARSED: dict[tuple, tuple[list, list, dict]] = {}


class LazyBuilderRule(Rule):
    def compile(self) -> None:
        assert self.map is not None, "rule not bound"
        key = (self.rule, self.subdomain, self.host, self.merge_slashes, self.map.host_matching, tuple(self.map.converters.items()))
        parsed = _PARSED.get(key)
        if parsed is None:
            super().compile()
            _PARSED[key] = (self._parts, self._trace, self._converters)
            return
        self._parts, self._trace, self._converters = parsed
        self.arguments.update(self._converters)  # what parsing the rule adds: its variables
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_real = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(compile_real(append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build
