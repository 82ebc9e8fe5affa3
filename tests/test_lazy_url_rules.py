"""The test apps' lazily compiled URL builders (tests/support/routing.py) build what Werkzeug's own rules build."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.support.routing import LazyBuilderRule


def _every_url(app: Flask) -> dict[tuple[str, str], str]:
    adapter = app.url_map.bind("assistant.example", url_scheme="https")
    built = {}
    for rule in app.url_map.iter_rules():
        values = dict.fromkeys(rule.arguments, "7")  # every converter of the app takes a number
        method = next(iter(rule.methods or {"GET"}))
        built[(rule.endpoint, rule.rule)] = adapter.build(rule.endpoint, {**values, "extra": "1"}, method=method)
    return built


@pytest.fixture
def stock_and_lazy(app, monkeypatch):
    from assistant.gateway import create_app
    from core.config import Settings

    monkeypatch.setattr(Flask, "url_rule_class", Rule)
    stock = create_app(Settings.from_env(), {"TESTING": True})
    return stock, app


def test_every_endpoint_of_the_gateway_builds_the_same_url_with_lazy_builders(stock_and_lazy):
    stock, lazy = stock_and_lazy
    assert all(isinstance(rule, LazyBuilderRule) for rule in lazy.url_map.iter_rules())
    assert not any(isinstance(rule, LazyBuilderRule) for rule in stock.url_map.iter_rules())
    urls = _every_url(stock)
    assert len(urls) > 40
    assert _every_url(lazy) == urls
