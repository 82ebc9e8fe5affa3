"""`python -m benchmarks.run`: measure the assistant's performance, print the report, write docs/BENCHMARKS.md.

Parts, one after another so they do not compete for the CPU: retrieval alone
(embedding, index build, FAISS at scale), the real system (cold start, memory,
conversation load at 1, 8 and 32 concurrent conversations, back to back and paced; cProfile if a turn
target is missed), the set-up from a fresh clone (skippable), then the scale-out: two of each process behind
HAProxy against one of each (benchmarks/scaled.py; `--only scaled` runs it alone and replaces only its section).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks import fresh_clone, machine, processes, profiling, retrieval, scaled, targets, turns
from benchmarks.report import Results, markdown, scale_out, splice
from core.config import ROOT
from tests.support.system import stop_system

SYSTEM_LOG = ROOT / "var" / "results" / "benchmarks-system.log"  # the three processes' output, kept for a look after a run


def working_tree_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (git("rev-parse", "--short", "HEAD") or "unknown") + changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-setup", action="store_true", help="skip the fresh clone's make install/knowledge/model (minutes)")
    parser.add_argument("--requests", type=int, default=200, help="requests per target and concurrency level")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds per target and concurrency level")
    parser.add_argument("--skip-scaled", action="store_true", help="skip the scale-out part (two of each against one of each)")
    parser.add_argument("--only", choices=["scaled"], help="run this part alone and replace only its section of the report")
    # The rate-limit counts of both scaled set-ups; a database of its own keeps them apart from other runs' counts.
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11", help="Redis for the scaled set-ups' rate limits")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    # Warnings only: the gateway and the actions, imported for profiling, would turn on INFO logs for the whole run.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    command = " ".join([".venv/bin/python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])])
    run_id = dt.datetime.now().strftime("%H%M%S")
    with machine.LoadMonitor() as monitor, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        results = Results(
            command=command,
            date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            commit=working_tree_commit(),
            machine=machine.describe(),
            load_before=machine.load_averages(),
            load={},
            max_requests=args.requests,
            time_limit=args.time_limit,
        )

        @contextmanager
        def part(name: str):
            print(f"== {name}", flush=True)
            started = time.monotonic()
            yield
            results.load[name] = monitor.between(started, time.monotonic())

        def scale_out_part() -> None:
            with part("scale-out"):
                print("  starting one of each and two of each behind HAProxy", flush=True)
                results.scaled = scaled.measure(
                    Path(folder), args.redis_url, args.requests, args.time_limit, run_id, processes.LOAD_TEST_ENV
                )

        if args.only == "scaled":
            scale_out_part()
            previous = args.output.read_text() if args.output.is_file() else ""
            return write(args.output, splice(previous, scale_out(results)))

        with part("retrieval"):
            results.embedding = retrieval.embedding_time()
            results.index_build = retrieval.index_build_time()
            results.search = retrieval.search_at_scale()

        with part("processes and conversation turns"):
            system, results.cold_start = processes.launch(Path(folder))
            try:
                results.memory_idle = processes.memory_by_role(system.process.pid)
                pids_at_start = processes.pids_by_role(system.process.pid)
                results.first_turns = turns.first_turns(system.gateway, run_id)
                results.turns = turns.measure(
                    system.gateway,
                    system.rasa,
                    args.requests,
                    args.time_limit,
                    run_id,
                    lambda: processes.cpu_seconds_by_role(system.process.pid),
                )
                print("  side by side: one conversation per target, taking turns", flush=True)
                results.side_by_side = turns.side_by_side(system.gateway, system.rasa, args.requests, args.time_limit, run_id)
                print("  long conversations", flush=True)
                results.long_conversations = turns.long_conversations(system.gateway, system.rasa, run_id)
                results.memory_loaded = processes.memory_by_role(system.process.pid)
                results.unhealthy["after the load test"] = processes.unhealthy(system)
                results.targets = targets.evaluate(results.turns, results.search)
                if any(not t.met for t in results.targets if t.about_turns):
                    print("  a turn target was missed: profiling the action and gateway paths", flush=True)
                    results.profiles["action"] = profiling.answer_action(Path(folder))
                    results.profiles["gateway"] = profiling.gateway(Path(folder), system.rasa, system.actions)
                results.unhealthy["at the end"] = processes.unhealthy(system)
                pids_at_end = processes.pids_by_role(system.process.pid)
                results.restarted = sorted(name for name in pids_at_start if pids_at_start[name] != pids_at_end.get(name))
            finally:
                stop_system(system)
                results.logged_errors = processes.logged_errors(system.log_path)
                SYSTEM_LOG.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(system.log_path, SYSTEM_LOG)

        if not args.skip_setup:
            with part("set-up from a fresh clone"):
                results.setup = fresh_clone.time_setup()

        if not args.skip_scaled:
            try:
                scale_out_part()
            except Exception as exc:  # the parts above are still worth writing down
                logging.exception("the scale-out part failed")
                results.scaled_error = f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"

    return write(args.output, markdown(results, args.output.read_text() if args.output.is_file() else ""))


def write(output: Path, text: str) -> int:
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
