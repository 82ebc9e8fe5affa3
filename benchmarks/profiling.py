"""Where a turn's time goes, with cProfile (pyinstrument and py-spy are not installed).

- the action path: actions.answer.ActionAnswerQuestion().run on recorded trackers,
  in this process, as tests/test_actions.py runs it;
- the gateway path: the gateway app in this process (Flask's test client), sending
  the message mix to the running Rasa, so its own work and its wait for Rasa separate.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.processes import LOAD_TEST_ENV
from benchmarks.stats import summary
from benchmarks.turns import MIX
from core.config import ROOT, Settings
from core.storage.migrate import upgrade
from tests.support.system import prepare_index

TRACKERS = ("asked_what_is_embolization", "follow_up_driving_after_embolization", "topic_without_procedure")


def hotspots(profiler: cProfile.Profile, calls: int) -> list[dict]:
    """The project's own functions (not libraries, not this package) by cumulative time, per profiled call."""
    rows = []
    for (filename, line, function), (_, total_calls, _, cumulative, _) in pstats.Stats(profiler).stats.items():
        if not filename.startswith(str(ROOT)) or "/.venv" in filename or "/benchmarks/" in filename:
            continue
        rows.append(
            {
                "function": f"{Path(filename).relative_to(ROOT)}:{line}({function})",
                "calls_per_turn": total_calls / calls,
                "ms_per_turn": cumulative * 1000 / calls,
            }
        )
    return sorted(rows, key=lambda r: -r["ms_per_turn"])


@dataclass
class Profile:
    timing: dict[str, float]  # unprofiled milliseconds per call
    hotspots: list[dict]
    failed: int = 0  # profiled turns that got no real answer (the profile then shows a failure path)


def time_calls(call, count: int) -> dict[str, float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return summary(timings)


def profile_calls(call, count: int) -> list[dict]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    return hotspots(profiler, count)


def answer_action(workdir: Path, count: int = 60) -> Profile:
    database_url = f"sqlite:///{workdir / 'profile-actions.db'}"
    upgrade(database_url)
    saved = {name: os.environ.get(name) for name in ("ASSISTANT_INDEX_DIR", "ASSISTANT_DATABASE_URL")}
    # Before importing the actions: importing them starts loading the index with these settings.
    os.environ.update(ASSISTANT_INDEX_DIR=str(prepare_index()), ASSISTANT_DATABASE_URL=database_url)
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import services
    from actions.answer import ActionAnswerQuestion

    caches = (services.settings, services.retriever, services.database)
    for cached in caches:
        cached.cache_clear()
    trackers = [Tracker.from_dict(json.loads((ROOT / "tests" / "data" / "trackers" / f"{name}.json").read_text())) for name in TRACKERS]
    action, turn = ActionAnswerQuestion(), iter(range(10**9))

    def answer() -> None:
        action.run_blocking(CollectingDispatcher(), trackers[next(turn) % len(trackers)], {})

    try:
        answer()  # warm-up: index, model, database
        return Profile(time_calls(answer, count), profile_calls(answer, count))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for cached in caches:
            cached.cache_clear()


def gateway(workdir: Path, rasa_url: str, actions_url: str, count: int = 60) -> Profile:
    from assistant.gateway import create_app
    from tests.support.web import API_KEYS_SETTING, integration_headers

    database_url = f"sqlite:///{workdir / 'profile-gateway.db'}"
    upgrade(database_url)
    settings = replace(
        Settings.from_env(),
        var_dir=workdir,
        database_url=database_url,
        rasa_url=rasa_url,
        action_server_url=actions_url,
        index_dir=prepare_index(),
        api_keys=tuple(tuple(pair.split(":", 1)) for pair in [API_KEYS_SETTING]),
    )
    limits = {"RATE_LIMIT_PER_ADDRESS": LOAD_TEST_ENV["ASSISTANT_RATE_LIMIT_PER_ADDRESS"]}
    client = create_app(settings, {"TESTING": True, **limits}).test_client()
    turn, failed = iter(range(10**9)), []
    safe_reply = settings.messages.text("unavailable", "en", settings.site)

    def chat() -> None:
        n = next(turn)
        response = client.post(
            "/api/chat", json={"sender": f"bench-profile-{n // len(MIX)}", "message": MIX[n % len(MIX)]}, headers=integration_headers()
        )
        if response.status_code != 200 or any(m["text"] == safe_reply for m in response.get_json()["messages"]):
            failed.append(n)

    chat()  # warm-up: database, Rasa connection
    profile = Profile(time_calls(chat, count), profile_calls(chat, count))
    profile.failed = len(failed)
    return profile
