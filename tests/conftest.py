from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.storage.migrate import upgrade
from tests.support.fake_action_server import FakeActionServer
from tests.support.fake_rasa import FakeRasa
from tests.support.system import start_system, stop_system


@pytest.fixture
def database_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    upgrade(url)
    return url


@pytest.fixture
def database(database_url) -> Database:
    return Database(database_url)


@pytest.fixture
def fake_rasa():
    with FakeRasa() as server:
        yield server


@pytest.fixture
def fake_actions():
    with FakeActionServer() as server:
        yield server


@pytest.fixture
def app(database_url, fake_rasa, fake_actions, monkeypatch, tmp_path):
    from assistant.gateway import create_app

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    monkeypatch.setenv("RASA_URL", fake_rasa.url)
    monkeypatch.setenv("ACTION_SERVER_URL", fake_actions.url)
    monkeypatch.setenv("ASSISTANT_RASA_TIMEOUT", "2")
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_SQLITE_BUSY_MS", "300")
    return create_app(Settings.from_env(), {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """The real assistant: Rasa server, action server and gateway, as `make run` starts them."""
    running = start_system(tmp_path_factory.mktemp("system"))
    yield running
    stop_system(running)
