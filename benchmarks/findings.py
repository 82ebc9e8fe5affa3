"""The report's "What misses and why": what the measurements point at, each with its likely fix.

Each finding is written only when this run's numbers show it, so a cause that
has been fixed, or that did not show on the day, is not repeated.
"""

from __future__ import annotations

from assistant import gateway_gunicorn
from benchmarks.targets import P95_MS_AT_32, SEARCH_MS_AT_100K, as_judged, by_key
from core.config import Settings


def _profiled(rows: list[dict], *fragments: str) -> dict:
    """The profile row whose function name holds every fragment (cProfile names: path:line(function))."""
    return next((r for r in rows if all(f in r["function"] for f in fragments)), {"calls_per_turn": 0.0, "ms_per_turn": 0.0})


def _latency(r, target: str, concurrency: int) -> dict[str, float]:
    return by_key(r.turns)[target, concurrency].latency


def _levels(r) -> list[int]:
    return sorted({result.concurrency for result in r.turns})


def _cpu(r, target: str, concurrency: int) -> dict[str, float]:
    return by_key(r.turns)[target, concurrency].cpu_ms_per_request


def cpu_per_turn(r) -> list[str]:
    """Where the CPU of a full turn goes, and the throughput it allows on this machine's cores."""
    one = min(_levels(r))
    full = _cpu(r, "gateway", one)
    total = sum(full.get(role, 0.0) for role in ("rasa", "actions", "gateway"))
    if not total:
        return []
    cores = int(r.machine.get("cores (nproc)", "2") or 2)
    shares = ", ".join(f"{role} {full.get(role, 0.0):.0f} ms" for role in ("rasa", "actions", "gateway"))
    return [
        f"**A full turn costs about {total:.0f} ms of CPU** ({shares}; with {one} conversation), so {cores} cores "
        f"serve at most about {1000 * cores / total:.0f} turns/s with nothing else running, less the load generator's "
        "own share."
    ]


def saturation(r) -> list[str]:
    """Past its capacity, more concurrent turns only wait longer (Little's law: waiting = in flight / throughput)."""
    busiest = max(_levels(r))
    gateway = {result.concurrency: result for result in r.turns if result.target == "gateway" and not result.paced}
    if as_judged(r.turns)["gateway", busiest].latency["p95"] <= P95_MS_AT_32:
        return []
    rates = {c: level.outcomes["ok"] / level.seconds for c, level in gateway.items()}
    best = max(rates, key=rates.get)
    at_busiest = gateway[busiest]
    if at_busiest.latency["p95"] <= P95_MS_AT_32 or not rates[busiest]:
        return []
    if rates[busiest] >= 0.8 * rates[best]:
        served = (
            f"It answers about {rates[best]:.0f} turns/s however many wait, so {busiest} turns in flight wait about "
            f"{busiest} / {rates[busiest]:.1f} = {1000 * busiest / rates[busiest]:.0f} ms each (measured mean "
            f"{at_busiest.latency['mean']:.0f} ms)."
        )
    else:
        served = (
            f"Its throughput fell from {rates[best]:.1f} answered turns/s (at {best}) to {rates[busiest]:.1f} at "
            f"{busiest}: past capacity, more concurrent turns only wait longer, and here some waited too long."
        )
    return [
        f"**Back to back, {busiest} conversations are past the capacity.** {served} There each conversation sends its "
        "next message as soon as the answer arrives, so its workers are turns always in flight; "
        f"{busiest} patients who each read and type for ~20 s between messages send about {busiest / 20:.1f} turns/s. "
        f"A p95 of {P95_MS_AT_32:.0f} ms with {busiest} turns in flight needs roughly {busiest / (P95_MS_AT_32 / 1000):.0f} "
        "turns/s: cheaper turns, and more processes on more cores."
    ]


def gateway_share(r) -> list[str]:
    if "gateway" not in r.profiles:
        return []
    rows = r.profiles["gateway"].hotspots
    handle, rasa = _profiled(rows, "turns.py:", "(handle)")["ms_per_turn"], _profiled(rows, "rasa_client.py")["ms_per_turn"]
    if not handle or handle - rasa > 0.25 * handle:
        return []
    return [
        f"**The gateway is not the cost.** In the profile a turn spends {handle - rasa:.0f} ms of {handle:.0f} ms in the "
        "gateway's own work (validation, red-flag check, two database writes) and the rest waiting for Rasa."
    ]


def action_queue(r) -> list[str]:
    low, high = _levels(r)[:2]
    share = {c: _latency(r, "rasa mix", c)["p50"] - _latency(r, "rasa hello", c)["p50"] for c in (low, high)}
    if share[high] <= 2 * share[low]:
        return []
    return [
        f"**Answers queue in the action server.** From {low} to {high} conversations back to back the action server's "
        f"share of a turn (*rasa mix − rasa hello*, p50) grows from {share[low]:.0f} to {share[high]:.0f} ms. The answer "
        "and fallback actions already run in worker threads (`actions/threaded.py`), so this is the cores being busy, "
        "not one answer blocking the others: see the CPU per request."
    ]


def cold_first_turns(r) -> list[str]:
    unanswered = [text for text, _ in r.first_turns if "(ok)" not in text]
    if not unanswered:
        return []
    return [
        f"**Not every first turn after a start was answered** ({', '.join(unanswered)}; the first took "
        f"{r.first_turns[0][1] / 1000:.1f} s, the gateway waits {Settings.from_env().rasa_timeout:.0f} s for Rasa). A "
        "first question waits for the action server to load the encoder and the index "
        f"({r.embedding['model_load_s']:.1f} s for the encoder alone in this process). Likely fix: have the action server "
        "load them before the system reports ready (`make run` waits for the gateway's `/healthz`)."
    ]


def failed_turns(r) -> list[str]:
    busiest = max(_levels(r))
    level = max((by_key(r.turns, paced)["gateway", busiest] for paced in (False, True)), key=lambda lv: lv.failed)
    if not level.failed:
        return []
    timeout = Settings.from_env().rasa_timeout
    why = []
    if level.outcomes["safe_reply"]:
        why.append(f"a safe reply means Rasa did not answer the gateway within its {timeout:.0f} s timeout")
    if any("Timeout" in cause for cause in level.causes):
        why.append(
            "a read timeout means the benchmark's client got nothing in 30 s: turns wait in the gateway (gunicorn with waitress, "
            f"{gateway_gunicorn.workers} worker(s) × {gateway_gunicorn.threads} threads: "
            f"{gateway_gunicorn.workers * gateway_gunicorn.threads} turns at a time) behind slow ones, each of which may "
            f"wait {timeout:.0f} s for Rasa"
        )
    causes = ", ".join(f"{cause} ×{count}" for cause, count in level.causes.most_common())
    kind = "paced" if level.paced else "back to back"
    return [
        f"**{level.failed} failed turns at {busiest} conversations {kind}** ({causes})"
        + (": " + "; ".join(why) if why else "")
        + ". They follow from the queueing above."
    ]


def rasa_floor(r) -> list[str]:
    busiest = max(_levels(r))
    hello = as_judged(r.turns)["rasa hello", busiest].latency
    if hello["p95"] <= P95_MS_AT_32:
        return []
    return [
        f"**Rasa alone misses the p95 target on this machine.** At {busiest} paced conversations even the trivial roundtrip "
        f"(a rule, no action server) has p95 {hello['p95']:.0f} ms against the {P95_MS_AT_32:.0f} ms target: one Rasa "
        "process (one event loop, NLU on every message) on 2 shared cores is the floor, whatever the gateway and the "
        "actions do. Meeting it needs several Rasa processes behind a balancer with the shared tracker and lock stores "
        "(`RASA_ENDPOINTS=endpoints.scaled.yml`), so more cores, or the target stated for fewer conversations per core."
    ]


def turn_findings(r) -> list[str]:
    checks = (cpu_per_turn, saturation, gateway_share, action_queue, cold_first_turns, failed_turns, rasa_floor)
    return [note for check in checks for note in check(r)]


def retrieval_findings(r) -> list[str]:
    largest = max(row["chunks"] for row in r.search)
    rows = {row["role"]: row for row in r.search if row["chunks"] == largest}
    exact, other, all_chunks = rows["exact"], rows.get("exact, other threads"), rows.get("exact, k=all")
    if exact["mean_ms"] <= SEARCH_MS_AT_100K:
        return []
    text = (
        f"**At {largest:,} chunks exact search misses {SEARCH_MS_AT_100K:.0f} ms** ({exact['mean_ms']:.1f} ms mean"
        + (f"; {other['mean_ms']:.1f} ms with {other['params'].split(', ')[1]}" if other else "")
        + "). "
    )
    if all_chunks:
        text += (
            f"The retriever today asks FAISS for every chunk (`search(vector, len(chunks))`, {all_chunks['mean_ms']:.0f} ms "
            "at this size) and scores BM25 over every chunk: right for today's few hundred chunks, not at this scale. "
        )
    text += (
        "Likely fix when the collection grows past ~10k chunks: an `IndexHNSWFlat` (M=32; see the table for the "
        "efSearch that keeps recall@10 above 0.95 on clustered vectors in well under a millisecond), asking it for ~50 "
        "candidates and fusing only those."
    )
    return [text]
