"""What several gateways and action servers must share to be safe together (#25): rate-limit counts, the key
that signs staff sessions, one knowledge index, and no early-retrieval hint sent where it is not used.
Starts no process of the assistant: the gateway runs in the test client, Rasa and the action server are fakes."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from assistant.gateway import create_app
from core.config import INTERNAL_TOKEN_HEADER, ROOT, Settings
from knowledge.artifacts import index_identity
from knowledge.languages import index_dir, with_texts
from tests.conftest import TEST_INTERNAL_TOKEN
from tests.support.fake_action_server import FakeActionServer
from tests.support.fake_rasa import FakeRasa
from tests.support.inbox import CHEAP_HASHER, client_for, create_staff, login, make_app
from tests.support.ports import free_port
from tests.support.web import web_headers

SHARED_KEY = "shared-secret-key-" + "k" * 32
SCALED = {"RASA_URL": "http://127.0.0.1:5005,http://127.0.0.1:5006", "ASSISTANT_INTERNAL_TOKEN": TEST_INTERNAL_TOKEN}


def scaled_settings(monkeypatch, **variables: str) -> Settings:
    for name, value in {**SCALED, "ASSISTANT_SECRET_KEY": SHARED_KEY, **variables}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.scaled
    return settings


def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


# --- rate-limit counts ---


def test_a_scaled_gateway_refuses_rate_limit_counts_in_its_own_memory(app, monkeypatch):
    with pytest.raises(RuntimeError, match="ASSISTANT_RATELIMIT_STORAGE=memory:// .* redis://"):
        create_app(scaled_settings(monkeypatch, ASSISTANT_RATELIMIT_STORAGE="memory://"))
    assert create_app(scaled_settings(monkeypatch, ASSISTANT_RATELIMIT_STORAGE=closed_redis()))


@pytest.mark.parametrize(
    ("message", "language"), [("I can't breathe", "en"), ("je n'arrive plus à respirer", "fr"), ("I CAN'T BREATHE!!", None)]
)
def test_with_the_configured_redis_unreachable_an_emergency_gets_the_emergency_number(app, fake_rasa, message, language):
    gateway = create_app(replace(app.config["SETTINGS"], ratelimit_storage=closed_redis()), {"TESTING": True})
    client = gateway.test_client()
    body = {"message": message} | ({"language": language} if language else {})
    response = client.post("/api/chat", json=body, headers=web_headers(gateway, "breathless"))
    assert response.status_code == 200, response.get_data(as_text=True)
    [first, *_] = response.json["messages"]
    assert first["route"] == "urgent"
    assert gateway.config["SETTINGS"].site.emergency_number in first["text"]
    assert fake_rasa.received == []  # answered before Rasa, as always


def test_with_the_configured_redis_unreachable_an_ordinary_question_is_still_answered(app, fake_rasa):
    gateway = create_app(replace(app.config["SETTINGS"], ratelimit_storage=closed_redis()), {"TESTING": True})
    fake_rasa.reply = [{"text": "Embolization blocks a blood vessel."}]
    response = gateway.test_client().post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(gateway, "curious"))
    assert response.status_code == 200
    assert response.json["messages"][0]["text"] == "Embolization blocks a blood vessel."


# --- the key that signs staff sessions ---


def gateway_with_key(var_dir, key: str):
    """A gateway on the environment make_app left, with its own var/ and `key` as ASSISTANT_SECRET_KEY."""
    settings = replace(Settings.from_env(), var_dir=var_dir, secret_key=key)
    return create_app(settings, {"TESTING": True, "INBOX_PASSWORD_HASHER": CHEAP_HASHER})


def staff_cookie_of(app, username: str) -> str:
    create_staff(app.extensions["db"], username)
    client = client_for(app)
    assert login(client, username).status_code == 303
    cookie = client.get_cookie("ir_inbox_session", path="/inbox")
    assert cookie is not None
    return cookie.value


def inbox_status(app, cookie: str) -> int:
    client = client_for(app)
    client.set_cookie("ir_inbox_session", cookie, path="/inbox")
    return client.get("/inbox/").status_code


def test_gateways_sharing_the_secret_key_accept_each_others_staff_sessions(database_url, tmp_path, monkeypatch):
    make_app(database_url, tmp_path, monkeypatch)  # the environment: database, insecure cookies for plain http
    one, two = gateway_with_key(tmp_path / "one", SHARED_KEY), gateway_with_key(tmp_path / "two", SHARED_KEY)
    assert inbox_status(two, staff_cookie_of(one, "alice")) == 200
    assert inbox_status(one, staff_cookie_of(two, "bob")) == 200
    # Keys generated per machine (none configured): the other gateway sends the staff member to sign in again.
    three, four = gateway_with_key(tmp_path / "three", ""), gateway_with_key(tmp_path / "four", "")
    assert inbox_status(four, staff_cookie_of(three, "carol")) in (302, 303)


def test_a_scaled_gateway_without_the_secret_key_refuses_to_start(app, monkeypatch):
    monkeypatch.setenv("ASSISTANT_RATELIMIT_STORAGE", closed_redis())
    with pytest.raises(RuntimeError, match="ASSISTANT_SECRET_KEY is required when the assistant is scaled"):
        create_app(scaled_settings(monkeypatch, ASSISTANT_SECRET_KEY=""))


# --- early retrieval ---


def test_early_retrieval_is_off_with_several_action_servers_and_on_with_one(app, fake_rasa, fake_actions, monkeypatch):
    with FakeActionServer() as other:
        settings = replace(
            app.config["SETTINGS"],
            action_server_url=f"{fake_actions.url},{other.url}",
            ratelimit_storage=closed_redis(),
            secret_key=SHARED_KEY,
        )
        assert not settings.early_retrieval
        several = create_app(settings, {"TESTING": True})
        fake_rasa.reply = [{"text": "ok"}]
        for n in range(6):
            chat = several.test_client().post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(several, f"s{n}"))
            assert chat.status_code == 200
        time.sleep(0.5)  # a hint, had one been queued, reaches the fakes in milliseconds
        assert fake_actions.messages == other.messages == []
    assert app.config["SETTINGS"].early_retrieval
    assert (
        app.test_client().post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(app, "one")).status_code == 200
    )
    fake_actions.wait_for(1)
    assert fake_actions.messages[0]["text"] == "what is embolization?"


# --- one knowledge index and one model ---


def write_index(settings: Settings, content_hash: str = "texts-v1", built_at: str = "2026-12-01T10:00:00+00:00") -> None:
    """Each language's manifest as knowledge/build.py writes it (the index's other files are not read here)."""
    for code in with_texts(settings.knowledge_dir):
        folder = index_dir(settings.index_dir, code)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {"format": 7, "language": code, "encoder": "minilm", "content_hash": f"{content_hash}-{code}"}
        (folder / "manifest.json").write_text(json.dumps(manifest | {"topic_examples_hash": "t1", "chunks": 3, "built_at": built_at}))


def test_the_index_hash_follows_what_changes_answers_not_when_it_was_built(tmp_path):
    settings = replace(Settings.from_env(), index_dir=tmp_path / "index")
    assert index_identity(settings.knowledge_dir, settings.index_dir)["hash"] is None
    write_index(settings)
    first = index_identity(settings.knowledge_dir, settings.index_dir)
    assert re.fullmatch(r"[0-9a-f]{16}", first["hash"])
    assert first["languages"]["en"]["content_hash"] == "texts-v1-en"
    write_index(settings, built_at="2026-12-02T10:00:00+00:00")
    assert index_identity(settings.knowledge_dir, settings.index_dir)["hash"] == first["hash"]
    write_index(settings, content_hash="texts-v2")
    assert index_identity(settings.knowledge_dir, settings.index_dir)["hash"] != first["hash"]


def test_readyz_reports_the_gateways_index_and_model_and_compares_nothing_when_not_scaled(app, client, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    settings = app.config["SETTINGS"]
    write_index(settings)
    model = settings.var_dir / "models" / "20261205-101010-brisk-tree.tar.gz"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"a trained model")
    (settings.var_dir / ".model-path").write_text(f"{model}\n")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "same_index" not in ready.json["checks"]
    assert ready.json["artifacts"]["knowledge_index"] == index_identity(settings.knowledge_dir, settings.index_dir)
    assert ready.json["artifacts"]["model"] == {"file": model.name, "sha256": hashlib.sha256(b"a trained model").hexdigest()[:16]}


def name_a_model(settings: Settings, name: str = "assistant-0123456789abcdef.tar.gz") -> Path:
    """A model file in the gateway's var/, named in var/.model-path as `make model` names it."""
    model = settings.var_dir / "models" / name
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"a trained model")
    (settings.var_dir / ".model-path").write_text(f"{model}\n")
    return model


@pytest.fixture
def one_model_loaded(app, fake_rasa) -> Path:
    """The gateway's model, the one its Rasa server reports as loaded."""
    model = name_a_model(app.config["SETTINGS"])
    fake_rasa.model = {"model_file": model.name, "model_id": "one"}
    return model


@pytest.fixture
def two_action_servers(fake_actions):
    with FakeActionServer() as other:
        yield fake_actions, other


def scaled_gateway(app, servers, **changes):
    settings = replace(
        app.config["SETTINGS"],
        action_server_url=",".join(server.url for server in servers),
        ratelimit_storage=closed_redis(),
        secret_key=SHARED_KEY,
        **changes,
    )
    assert settings.scaled
    return create_app(settings, {"TESTING": True})


def test_a_scaled_gateway_is_not_ready_while_an_action_server_serves_another_index(app, two_action_servers, one_model_loaded, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    first, second = two_action_servers
    gateway = scaled_gateway(app, two_action_servers)
    write_index(gateway.config["SETTINGS"])
    own = index_identity(gateway.config["SETTINGS"].knowledge_dir, gateway.config["SETTINGS"].index_dir)["hash"]
    first.artifacts = second.artifacts = {"knowledge_index": {"hash": own}}
    ready = gateway.test_client().get("/readyz")
    assert (ready.status_code, ready.json["checks"]["same_index"]) == (200, "ok")
    assert all(h.get(INTERNAL_TOKEN_HEADER) == TEST_INTERNAL_TOKEN for h in second.headers)

    second.artifacts = {"knowledge_index": {"hash": "0" * 16}}
    ready = gateway.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["same_index"] == f"expected index {own}; action server 2 of 2 has {'0' * 16}"

    second.artifacts = None  # an action server too old to report its index is not taken for the right one
    assert gateway.test_client().get("/readyz").json["checks"]["same_index"].endswith("action server 2 of 2 has no report (HTTP 404)")


def test_a_scaled_gateway_is_not_ready_while_a_rasa_server_has_another_model_loaded(app, fake_rasa, two_action_servers, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    model = name_a_model(app.config["SETTINGS"])
    with FakeRasa() as other_rasa:
        gateway = scaled_gateway(app, two_action_servers, rasa_url=f"{fake_rasa.url},{other_rasa.url}")
        write_index(gateway.config["SETTINGS"])
        own = index_identity(gateway.config["SETTINGS"].knowledge_dir, gateway.config["SETTINGS"].index_dir)["hash"]
        for server in two_action_servers:
            server.artifacts = {"knowledge_index": {"hash": own}}
        fake_rasa.model = other_rasa.model = {"model_file": model.name, "model_id": "one"}
        ready = gateway.test_client().get("/readyz")
        assert (ready.status_code, ready.json["checks"]["same_model"]) == (200, "ok")
        assert all(h.get(INTERNAL_TOKEN_HEADER) == TEST_INTERNAL_TOKEN for h in other_rasa.headers)

        other_rasa.model = {"model_file": "assistant-fedcba9876543210.tar.gz", "model_id": "two"}
        ready = gateway.test_client().get("/readyz")
        assert ready.status_code == 503
        assert (
            ready.json["checks"]["same_model"] == f"expected model {model.name}; Rasa server 2 of 2 has assistant-fedcba9876543210.tar.gz"
        )

        other_rasa.model = None  # a Rasa server started without the report is not taken for the right one
        assert gateway.test_client().get("/readyz").json["checks"]["same_model"].endswith("Rasa server 2 of 2 has no report (HTTP 404)")

        (settings := gateway.config["SETTINGS"]).var_dir.joinpath(".model-path").unlink()  # no model of its own
        other_rasa.model = {"model_file": "assistant-fedcba9876543210.tar.gz", "model_id": "two"}
        assert gateway.test_client().get("/readyz").json["checks"]["same_model"] == (
            "expected model assistant-0123456789abcdef.tar.gz; Rasa server 2 of 2 has assistant-fedcba9876543210.tar.gz"
        )
        fake_rasa.model = other_rasa.model
        assert gateway.test_client().get("/readyz").json["checks"]["same_model"] == "ok"
        assert settings.var_dir == app.config["SETTINGS"].var_dir

        pinned = scaled_gateway(app, two_action_servers, rasa_url=fake_rasa.url, expected_model="assistant-1111111111111111.tar.gz")
        assert pinned.test_client().get("/readyz").json["checks"]["same_model"] == (
            "expected model assistant-1111111111111111.tar.gz; Rasa server 1 of 1 has assistant-fedcba9876543210.tar.gz"
        )


def test_the_expected_index_hash_pins_the_index_every_action_server_must_serve(app, two_action_servers, one_model_loaded, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    pinned = "0123456789abcdef"
    for server in two_action_servers:
        server.artifacts = {"knowledge_index": {"hash": pinned}}
    gateway = scaled_gateway(app, two_action_servers, expected_index_hash=pinned)  # and no index on its own disk
    assert gateway.test_client().get("/readyz").status_code == 200
    without_pin = scaled_gateway(app, two_action_servers)
    assert without_pin.test_client().get("/readyz").json["checks"]["same_index"].startswith("no index to compare with")
    monkeypatch.setenv("ASSISTANT_EXPECTED_INDEX_HASH", "not-a-hash")
    with pytest.raises(ValueError, match="ASSISTANT_EXPECTED_INDEX_HASH"):
        Settings.from_env()


def test_the_action_server_reports_the_index_it_reads_behind_the_internal_token(tmp_path, monkeypatch):
    from sanic import Sanic

    from actions.artifacts import ROUTE, report
    from rasa_sdk_plugins import ActionServerRoutes, allowed

    settings = replace(Settings.from_env(), index_dir=tmp_path / "index")
    write_index(settings)
    assert report(settings) == {"knowledge_index": index_identity(settings.knowledge_dir, settings.index_dir)}
    app = Sanic(f"actions_{time.monotonic_ns()}")
    ActionServerRoutes().attach_sanic_app_extensions(app)
    assert ROUTE.strip("/") in {route.path.strip("/") for route in app.router.routes}
    assert not allowed("GET", ROUTE, None, TEST_INTERNAL_TOKEN)


def test_early_retrieval_can_be_turned_off_and_is_off_behind_the_kubernetes_service(monkeypatch):
    monkeypatch.setenv("ASSISTANT_EARLY_RETRIEVAL", "0")
    assert not Settings.from_env().early_retrieval
    monkeypatch.setenv("ASSISTANT_EARLY_RETRIEVAL", "no")
    with pytest.raises(ValueError, match="ASSISTANT_EARLY_RETRIEVAL"):
        Settings.from_env()
    configmap = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "configmap.yaml").read_text())["data"]
    for name, value in configmap.items():
        monkeypatch.setenv(name, value)
    assert len(Settings.from_env().action_server_urls) == 1
    assert not Settings.from_env().early_retrieval
