"""The report's "What misses and why": what the measurements point at, each with its likely fix.

Each finding is written only when this run's numbers show it, so a cause that
has been fixed, or that did not show on the day, is not repeated.
"""

from __future__ import annotations

from assistant.config import Settings
from benchmarks.targets import P95_MS_AT_32, SEARCH_MS_AT_100K, TURN_RATIO, by_key


def _profiled(rows: list[dict], fragment: str) -> dict:
    return next((r for r in rows if fragment in r["function"]), {"calls_per_turn": 0.0, "ms_per_turn": 0.0})


def _latency(r, target: str, concurrency: int) -> dict[str, float]:
    return by_key(r.turns)[target, concurrency].latency


def _levels(r) -> list[int]:
    return sorted({result.concurrency for result in r.turns})


def ratio_budget(r) -> list[str]:
    """What the p50 ratio target leaves for the work an answer adds, against what that work takes."""
    one = min(_levels(r))
    gateway, hello, mix = (_latency(r, target, one)["p50"] for target in ("gateway", "rasa hello", "rasa mix"))
    budget = (TURN_RATIO - 1) * hello
    if gateway - hello <= budget:
        return []
    fastest_embedding = min(t["p50"] for t in r.embedding["by_threads"].values())
    gateway_profile = r.profiles.get("gateway")
    if gateway_profile:  # the profile measures the gateway's own work directly; a difference of medians is noisy
        rows = gateway_profile.hotspots
        own = _profiled(rows, "turns.py:44(handle)")["ms_per_turn"] - _profiled(rows, "rasa_client.py")["ms_per_turn"]
    else:
        own = max(gateway - mix, 0.0)
    added = gateway - hello
    over = fastest_embedding + own > budget
    return [f"**The ratio target leaves {budget:.0f} ms for an answer.** With {one} conversation the trivial roundtrip takes "
            f"{hello:.0f} ms, so a full turn may add {budget:.0f} ms; it adds {added:.0f} ms: about {own:.0f} ms of the "
            f"gateway's own work (profiled) and {added - own:.0f} ms behind Rasa for the action (retrieval, and Rasa's "
            "webhook call to the action server, which sends the whole tracker as JSON). One embedding alone takes "
            f"{fastest_embedding:.0f} ms at best here" + (
                f", and with the gateway's own {own:.0f} ms that is over the budget: faster actions shorten the turn but "
                "cannot bring an answer from the texts within 1.5× of a rule's reply; the target would be better stated "
                "as an absolute time." if over else
                ": the action path has to lose nearly everything else it does.")]


def saturation(r) -> list[str]:
    """Past its capacity, more concurrent turns only wait longer (Little's law: waiting = in flight / throughput)."""
    busiest = max(_levels(r))
    gateway = {result.concurrency: result for result in r.turns if result.target == "gateway"}
    rates = {c: level.outcomes["ok"] / level.seconds for c, level in gateway.items()}
    best = max(rates, key=rates.get)
    at_busiest = gateway[busiest]
    if at_busiest.latency["p95"] <= P95_MS_AT_32 or not rates[busiest]:
        return []
    if rates[busiest] >= 0.8 * rates[best]:
        served = (f"It answers about {rates[best]:.0f} turns/s however many wait, so {busiest} turns in flight wait about "
                  f"{busiest} / {rates[busiest]:.1f} = {1000 * busiest / rates[busiest]:.0f} ms each (measured mean "
                  f"{at_busiest.latency['mean']:.0f} ms).")
    else:
        served = (f"Its throughput fell from {rates[best]:.1f} answered turns/s (at {best}) to {rates[busiest]:.1f} at "
                  f"{busiest}: past capacity, more concurrent turns only wait longer, and here some waited too long.")
    return [f"**At {busiest} conversations the system is past its capacity.** {served} The load test sends a conversation's "
            "next message as soon as the answer arrives, so its workers are turns always in flight; "
            f"{busiest} patients who each read and type for ~20 s between messages send about {busiest / 20:.1f} turns/s. "
            f"A p95 of {P95_MS_AT_32:.0f} ms with {busiest} turns in flight needs roughly {busiest / (P95_MS_AT_32 / 1000):.0f} "
            "turns/s: cheaper turns, and more processes on more cores."]


def gateway_share(r) -> list[str]:
    if "gateway" not in r.profiles:
        return []
    rows = r.profiles["gateway"].hotspots
    handle, rasa = _profiled(rows, "turns.py:44(handle)")["ms_per_turn"], _profiled(rows, "rasa_client.py")["ms_per_turn"]
    if not handle or handle - rasa > 0.25 * handle:
        return []
    return [f"**The gateway is not the cost.** In the profile a turn spends {handle - rasa:.0f} ms of {handle:.0f} ms in the "
            "gateway's own work (validation, red-flag check, two database writes) and the rest waiting for Rasa."]


def repeated_embedding(r) -> list[str]:
    if "action" not in r.profiles:
        return []
    rows = r.profiles["action"].hotspots
    run, embed = _profiled(rows, "answer.py"), _profiled(rows, "embedding.py")
    if not run["ms_per_turn"] or embed["calls_per_turn"] <= 1.2:
        return []
    return [f"**The question is embedded {embed['calls_per_turn']:.1f} times per answer.** Embedding is "
            f"{100 * embed['ms_per_turn'] / run['ms_per_turn']:.0f}% of `ActionAnswerQuestion.run`: each `retriever.search` "
            "embeds the question, and embeds it again with the procedure names masked (for the topic score) when it names "
            "one; a question without a procedure is searched twice (the score, then `likely_procedures`). Likely fix: "
            "compute `raw_scores` once per turn and call `Retriever.rank` for each ranking (it exists for this), and embed "
            "the question and its masked form in one `embed([...])` batch."]


def torch_threads(r) -> list[str]:
    """torch's default intra-op threads against one thread, from the embedding benchmark and the action profile."""
    e = r.embedding
    default, single = e["by_threads"][e["default_threads"]], e["by_threads"].get(1)
    action = r.profiles.get("action")
    evidence = []
    if single and e["default_threads"] > 1 and default["p50"] > 1.5 * single["p50"]:
        evidence.append(f"one question embeds in {default['p50']:.0f} ms (p50; p95 {default['p95']:.0f} ms) with torch's "
                        f"default {e['default_threads']} threads but {single['p50']:.0f} ms (p95 {single['p95']:.0f} ms) with one")
    if action and action.timing_one_thread and action.timing["mean"] > 1.5 * action.timing_one_thread["mean"]:
        evidence.append(f"`ActionAnswerQuestion.run` takes {action.timing['mean']:.0f} ms (mean; p95 {action.timing['p95']:.0f} "
                        f"ms) with the default threads but {action.timing_one_thread['mean']:.0f} ms (p95 "
                        f"{action.timing_one_thread['p95']:.0f} ms) with one, calls interleaved")
    if not evidence:
        return []
    return [f"**torch's threads fight for the cores.** On this busy machine {'; '.join(evidence)}. A question of a few "
            "words is too small to split, and with Rasa, gunicorn and the action server on the same 2 cores one thread "
            "waits for the other's core. Likely fix: `torch.set_num_threads(1)` in `knowledge.embedding._load` (or "
            "`OMP_NUM_THREADS=1` for the actions process in the Procfile): concurrency comes from processes, not from "
            "threads inside one query."]


def action_queue(r) -> list[str]:
    low, high = _levels(r)[:2]
    mix_low, mix_high = _latency(r, "rasa mix", low)["p50"], _latency(r, "rasa mix", high)["p50"]
    hello_low, hello_high = _latency(r, "rasa hello", low)["p50"], _latency(r, "rasa hello", high)["p50"]
    if mix_high <= 2 * mix_low:
        return []
    actions_mb = r.memory_loaded.get("actions", (0.0, 0))[0]
    return [f"**Answers queue in the action server.** From {low} to {high} conversations the trivial Rasa roundtrip goes "
            f"from {hello_low:.0f} to {hello_high:.0f} ms (p50) but the mix through the action server from {mix_low:.0f} to "
            f"{mix_high:.0f} ms: rasa-sdk awaits a synchronous `run()` inline on its one event loop (one Sanic worker by "
            "default), so concurrent answers run one after another, each behind the others' embeddings. Likely fix: make "
            "the answer and fallback actions `async def run` and do the retrieval in a thread pool (`await "
            "loop.run_in_executor(...)`; torch releases the GIL), and/or start more action workers with "
            f"`ACTION_SERVER_SANIC_WORKERS` (each loads its own model; the action server holds {actions_mb:.0f} MB now)."]


def cold_first_turns(r) -> list[str]:
    unanswered = [text for text, _ in r.first_turns if "(ok)" not in text]
    if not unanswered:
        return []
    return [f"**Not every first turn after a start was answered** ({', '.join(unanswered)}; the first took "
            f"{r.first_turns[0][1] / 1000:.1f} s, the gateway waits {Settings.from_env().rasa_timeout:.0f} s for Rasa). A "
            "first question waits for the action server to load the embedding model and the index "
            f"({r.embedding['model_load_s']:.1f} s for the model alone in this process). Likely fix: have the action server "
            "load them before the system reports ready (`make run` waits for the gateway's `/healthz`)."]


def failed_turns(r) -> list[str]:
    busiest = max(_levels(r))
    level = by_key(r.turns)["gateway", busiest]
    if not level.failed:
        return []
    timeout = Settings.from_env().rasa_timeout
    why = []
    if level.outcomes["safe_reply"]:
        why.append(f"a safe reply means Rasa did not answer the gateway within its {timeout:.0f} s timeout")
    if any("Timeout" in cause for cause in level.causes):
        why.append("a read timeout means the benchmark's client got nothing in 30 s: turns wait in the gateway (gunicorn, "
                   f"2 workers × 4 threads: 8 turns at a time) behind slow ones, each of which may wait {timeout:.0f} s for "
                   "Rasa")
    causes = ", ".join(f"{cause} ×{count}" for cause, count in level.causes.most_common())
    return [f"**{level.failed} failed turns at {busiest} conversations** ({causes})" + (": " + "; ".join(why) if why else "")
            + ". They follow from the queueing above."]


def rasa_floor(r) -> list[str]:
    busiest = max(_levels(r))
    hello = _latency(r, "rasa hello", busiest)
    if hello["p95"] <= P95_MS_AT_32:
        return []
    return [f"**Rasa alone misses the p95 target on this machine.** At {busiest} conversations even the trivial roundtrip "
            f"(a rule, no action server) has p95 {hello['p95']:.0f} ms against the {P95_MS_AT_32:.0f} ms target: one Rasa "
            "process (one event loop, NLU on every message) on 2 shared cores is the floor, whatever the gateway and the "
            "actions do. Meeting it needs several Rasa processes behind a balancer with the shared tracker and lock stores "
            "(`RASA_ENDPOINTS=endpoints.scaled.yml`), so more cores, or the target stated for fewer conversations per core."]


def rasa_error_logging(r) -> list[str]:
    count = r.logged_errors.get("rasa.core.nlg.interpolator", 0)
    if not count:
        return []
    return [f"**Rasa logs errors while rendering its responses.** {count} ERROR records from `rasa.core.nlg.interpolator` in this "
            "run, each with its stack frames and locals: Rasa tries to fill `{department_name}`-style placeholders (meant "
            "for the gateway's `site.fill`) and the JSON in button payloads as slots, fails, and logs it. It costs Rasa CPU "
            "on every such response (so the *rasa hello* baseline is slower than a clean rule would be) and buries real "
            "errors. Likely fix: placeholders Rasa does not read as slots (another syntax the gateway fills), or slots with "
            "those names filled from site.yml."]


def turn_findings(r) -> list[str]:
    checks = (ratio_budget, saturation, gateway_share, repeated_embedding, torch_threads, action_queue, cold_first_turns,
              failed_turns, rasa_floor, rasa_error_logging)
    return [note for check in checks for note in check(r)]


def retrieval_findings(r) -> list[str]:
    largest = max(row["chunks"] for row in r.search)
    rows = {row["role"]: row for row in r.search if row["chunks"] == largest}
    exact, single, all_chunks = rows["exact"], rows.get("exact, 1 thread"), rows.get("exact, k=all")
    if exact["mean_ms"] <= SEARCH_MS_AT_100K:
        return []
    text = (f"**At {largest:,} chunks exact search misses {SEARCH_MS_AT_100K:.0f} ms** ({exact['mean_ms']:.1f} ms mean"
            + (f"; {single['mean_ms']:.1f} ms with one FAISS thread" if single else "") + "). ")
    if all_chunks:
        text += (f"The retriever today asks FAISS for every chunk (`search(vector, len(chunks))`, {all_chunks['mean_ms']:.0f} ms "
                 "at this size) and scores BM25 over every chunk: right for today's few hundred chunks, not at this scale. ")
    text += ("Likely fix when the collection grows past ~10k chunks: an `IndexHNSWFlat` (M=32; see the table for the "
             "efSearch that keeps recall@10 above 0.95 on clustered vectors in well under a millisecond), asking it for ~50 "
             "candidates and fusing only those.")
    return [text]
