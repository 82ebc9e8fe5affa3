"""The test apps' URL rules, parsed once per process and with lazily compiled URL builders (tests/support/routing.py),
build and match what Werkzeug's own rules build and match."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.support.routing import LazyBuilderRule


def _every_url(app: Flask) -> dict[tuple[str, str, str], str]:
    adapter = app.url_map.bind("assistant.example", url_scheme="https")
    built = {}
    for rule in app.url_map.iter_rules():
        values = dict.fromkeys(rule.arguments, "7")  # every converter of the app takes a number
        method = sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"})[0]
        built[(rule.endpoint, rule.rule, method)] = adapter.build(rule.endpoint, {**values, "extra": "1"}, method=method)
    return built


def _every_match(app: Flask, urls: dict[tuple[str, str, str], str]) -> dict[tuple[str, str], tuple]:
    adapter = app.url_map.bind("assistant.example", url_scheme="https")
    matched = {}
    for (_endpoint, _rule, method), url in urls.items():
        rule, values = adapter.match(url.split("?")[0], method=method, return_rule=True)
        matched[(url, method)] = (rule.endpoint, rule.rule, values)
    return matched


@pytest.fixture
def stock_and_lazy(app, monkeypatch):
    """A stock app, the test's app and another app of the same process (which reuses the rules parsed before)."""
    from assistant.gateway import create_app
    from core.config import Settings

    again = create_app(Settings.from_env(), {"TESTING": True})
    monkeypatch.setattr(Flask, "url_rule_class", Rule)
    stock = create_app(Settings.from_env(), {"TESTING": True})
    return stock, app, again


def test_every_endpoint_of_the_gateway_builds_and_matches_the_same_urls_with_rules_parsed_once(stock_and_lazy):
    stock, lazy, again = stock_and_lazy
    assert all(isinstance(rule, LazyBuilderRule) for rule in [*lazy.url_map.iter_rules(), *again.url_map.iter_rules()])
    assert not any(isinstance(rule, LazyBuilderRule) for rule in stock.url_map.iter_rules())
    first = {(rule.endpoint, rule.rule): rule for rule in lazy.url_map.iter_rules()}
    assert all(rule._parts is first[(rule.endpoint, rule.rule)]._parts for rule in again.url_map.iter_rules())  # parsed once
    urls = _every_url(stock)
    assert len(urls) > 40
    assert _every_url(lazy) == _every_url(again) == urls
    matches = _every_match(stock, urls)
    assert _every_match(lazy, urls) == _every_match(again, urls) == matches
    assert all(matches[(url, method)][:2] == (endpoint, rule) for (endpoint, rule, method), url in urls.items())
