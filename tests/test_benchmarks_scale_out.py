"""The scale-out part of `make bench`: CPU attributed per process kind, its report section, and `--only scaled`
replacing that section alone."""

from __future__ import annotations

import os
import shlex
from collections import Counter

from benchmarks import processes
from benchmarks.report import SCALE_OUT_HEADING, Results, headline, scale_out, splice
from benchmarks.scaled import ScaledResults, cpu_used_ms
from benchmarks.targets import evaluate
from benchmarks.turns import LevelResult
from core.config import ROOT
from tooling.launcher import procfile_commands


def level(
    target: str, concurrency: int, paced: bool, latencies: list[float], cpu_ms: dict[str, float], seconds: float = 10.0
) -> LevelResult:
    result = LevelResult(target, concurrency, latencies_ms=list(latencies), outcomes=Counter(ok=len(latencies)), paced=paced)
    result.seconds, result.max_requests, result.cpu_ms = seconds, len(latencies), cpu_ms
    return result


def results(**fields) -> Results:
    base = dict(
        command="bench",
        date="2026-12-05 14:00 UTC",
        commit="abc1234",
        machine={"cores (nproc)": "2"},
        load_before=(0.5, 0.5, 0.5),
        load={"scale-out": [2.0, 4.0]},
        max_requests=100,
        time_limit=60,
    )
    return Results(**base, **fields)


def per_turn(turns: int, **ms_per_turn: float) -> dict[str, float]:
    return {kind: ms * turns for kind, ms in ms_per_turn.items()}


def test_cpu_used_counts_each_kind_and_every_backend_of_the_database_including_one_that_started_meanwhile():
    before = ({"rasa": 10.0, "gateway": 2.0}, {101: 1.0, 102: 0.5})
    after = ({"rasa": 10.5, "gateway": 2.25, "haproxy": 0.01}, {101: 1.2, 103: 0.05})  # 102 ended; 103 is new
    used = cpu_used_ms(before, after)
    assert round(used["rasa"]) == 500 and round(used["gateway"]) == 250 and round(used["haproxy"]) == 10
    assert round(used["postgres"]) == 250  # 200 ms of 101 and all 50 ms of 103; 102's is lost (a lower bound)


def test_cpu_seconds_reads_this_process_from_proc():
    spent = processes.cpu_seconds(os.getpid())
    sum(i * i for i in range(300_000))
    assert processes.cpu_seconds(os.getpid()) >= spent > 0
    assert processes.cpu_seconds_by_pid([os.getpid(), 2**22 + 7]).keys() == {os.getpid()}  # no such pid: left out


def test_the_section_compares_the_set_ups_and_reasons_what_one_more_machine_of_each_kind_adds():
    two_cpu = per_turn(100, gateway=5, rasa=25, actions=10, haproxy=0.5, postgres=2)
    scaled = ScaledResults(
        levels=[
            ("one of each", level("scaled-1", 32, False, [100.0] * 100, two_cpu, seconds=5)),  # 20 turns/s
            ("two of each", level("scaled-2", 32, False, [80.0] * 100, two_cpu, seconds=4)),  # 25 turns/s
        ],
        ready_s={"one of each": 50.0, "two of each": 60.0},
        cores=2,
    )
    text = scale_out(results(scaled=scaled))
    assert text.startswith(SCALE_OUT_HEADING + "\n")
    assert "busy machine" in text and "2.0–4.0" in text
    assert "| 32 back to back | 1.25× | 0.80× | 0.80× |" in text
    # On 2 cores: rasa alone 80 turns/s, actions 200, gateway 400, postgres 1000, haproxy 4000; one machine per
    # kind serves 80. One more Rasa machine: min(160, 200, ...) = 160; one more of anything else: still 80.
    assert "| rasa | 25 | 80 | 160 (+80) |" in text
    assert "| actions | 10 | 200 | 80 (+0) |" in text
    assert "the bound is 47 turns/s (42 ms of CPU a turn)" in text


def test_only_scaled_replaces_its_own_section_and_keeps_the_others():
    old = "# Benchmarks\n\n## 4. Set-up\n\nkept\n\n" + SCALE_OUT_HEADING + "\n\nold numbers\n\n## What misses and why\n\nkept too\n"
    new_section = SCALE_OUT_HEADING + "\n\nnew numbers"
    replaced = splice(old, new_section)
    assert "old numbers" not in replaced and "new numbers" in replaced
    assert replaced == old.replace("old numbers", "new numbers")
    # No such section yet: it goes before "What misses and why".
    inserted = splice("# Benchmarks\n\n## 4. Set-up\n\nkept\n\n## What misses and why\n\nkept too\n", new_section)
    assert inserted.index("new numbers") < inserted.index("## What misses and why") and inserted.count(SCALE_OUT_HEADING) == 1


def test_a_full_turn_is_shown_beside_rasa_with_the_action_server_and_no_longer_judged_against_a_rule():
    side = [
        level("gateway", 1, False, [40.0] * 10, {}),
        level("rasa hello", 1, False, [25.0] * 10, {}),
        level("rasa mix", 1, False, [36.0] * 10, {}),
    ]
    turns = [
        level(target, c, paced, [p] * 20, {})
        for c, paced in ((1, False), (32, True))
        for target, p in (("gateway", 100.0), ("rasa hello", 30.0), ("rasa mix", 90.0))
    ]
    r = results(side_by_side=side, turns=turns, long_conversations={"gateway": ([40, 41, 42, 44, 46, 50], 0)})
    text = headline(r)
    assert "| p50 40, p95 40 | p50 36, p95 36 | p50 +4.00 (1.11×) |" in text
    assert "| p95 100 (0 failed of 20) | p95 90 (0 failed of 20) | p95 +10 (1.11×) |" in text
    assert "| 50 | 40 | +10 (1.25×) |" in text
    search = [{"chunks": 100_000, "role": "exact", "mean_ms": 1.0, "p95_ms": 1.0, "recall": None, "params": ""}]
    assert [t.name for t in evaluate(turns, search) if "rasa" in t.name.lower() or "×" in t.name] == []


def test_each_process_of_the_procfile_and_haproxy_is_given_its_kind():
    procfile = procfile_commands((ROOT / "Procfile").read_text(), {"RASA_PYTHON": "/v/.venv-rasa/bin/python", "APP_BIN": "/v/.venv/bin"})
    # As supervisord runs them: `env` and the shell's quotes are gone once the program has started.
    started = {name: shlex.split(command.removeprefix("env PYTHONPATH=. ")) for name, command in procfile.items()}
    assert {name: processes.role_of(argv) for name, argv in started.items()} == {"rasa": "rasa", "actions": "actions", "gateway": "gateway"}
    assert processes.role_of(["/usr/sbin/haproxy", "-W", "-db", "-f", "/run/haproxy.cfg"]) == "haproxy"
    assert processes.role_of(["/v/.venv/bin/python", "-m", "tooling.scaled", "model.tar.gz", "--instances", "2"]) == "launcher"
