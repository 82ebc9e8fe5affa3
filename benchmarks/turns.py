"""Conversation load: full turns through the gateway against bare Rasa roundtrips.

Each worker thread is one conversation at a time (its own sender id and its own
keep-alive session) and sends the message mix in order, as a patient would; after
one round of the mix it starts a new conversation, so trackers stay the size of a
real chat. A level stops after a fixed number of requests or a time limit,
whichever comes first. Three targets per level:

- gateway: POST /api/chat with the mix (red-flag check, storage, Rasa, actions, retrieval started early);
- rasa hello: Rasa's REST webhook with "hello", answered by a rule without the action server;
- rasa mix: Rasa's REST webhook with the mix (Rasa + action server + retrieval, no gateway),
  which splits the gateway's time into its own share and the dialogue's.

Two kinds of load. *Paced* conversations pause between messages, as a patient
reads the answer and types the next question; this is what "N concurrent
conversations" means, and the targets are judged on it. *Back to back* (no
pause) keeps N requests in flight all the time: it measures capacity, and its
latencies are mostly queueing (Little's law: N / throughput).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from benchmarks.stats import summary
from core.config import Settings

MIX = (
    "what is embolization?",
    "how do I prepare?",
    "when can I drive?",
    "what are the risks of a biopsy",
    "how long does an angiogram take",
    "thanks",
)
LEVELS = (1, 8, 32)
TARGETS = ("gateway", "rasa hello", "rasa mix")
REQUEST_TIMEOUT = 30
# Seconds a paced conversation waits after each answer (uniform, seeded per worker): quicker than a patient
# reading an answer and typing the next question on a phone, so the load is on the heavy side of real.
PAUSE = (2.0, 4.0)

# One request: (session, sender, text) -> (outcome, cause). Outcome: "ok", "lost" (200 without a message),
# "safe_reply" (the gateway's fixed answer when Rasa failed) or "error" (non-200, no answer); cause: e.g. "HTTP 429".
Send = Callable[[requests.Session, str, str], tuple[str, str]]


@dataclass
class LevelResult:
    target: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)  # of the requests answered properly
    outcomes: Counter = field(default_factory=Counter)
    causes: Counter = field(default_factory=Counter)  # why requests failed: "HTTP 429", "ReadTimeout", ...
    seconds: float = 0.0
    max_requests: int = 0
    paced: bool = False
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU time per process role during the level

    def record(self, outcome: str, cause: str, elapsed_ms: float) -> None:
        if outcome == "ok":  # a failure is counted, not timed: a fast refusal would flatter the percentiles
            self.latencies_ms.append(elapsed_ms)
        self.outcomes[outcome] += 1
        if cause:
            self.causes[cause] += 1

    @property
    def cpu_ms_per_request(self) -> dict[str, float]:
        return {name: ms / self.sent for name, ms in self.cpu_ms.items()} if self.sent else {}

    @property
    def sent(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.sent - self.outcomes["ok"]

    @property
    def hit_time_limit(self) -> bool:
        return self.sent < self.max_requests

    @property
    def latency(self) -> dict[str, float]:
        return summary(self.latencies_ms)


def via_gateway(gateway: str) -> Send:
    # The gateway answers 200 with this fixed text when Rasa failed behind it: a lost answer, not a success.
    settings = Settings.from_env()
    safe_reply = settings.messages.text("unavailable", "en", settings.site)

    from tests.support.web import integration_headers

    # The started system's test integration: it names its own senders (README, "Security").
    headers = integration_headers()

    def send(session: requests.Session, sender: str, text: str) -> tuple[str, str]:
        response = session.post(f"{gateway}/api/chat", json={"sender": sender, "message": text}, headers=headers, timeout=REQUEST_TIMEOUT)
        if response.status_code != 200:
            return "error", f"HTTP {response.status_code}"
        messages = response.json().get("messages") or []
        if not messages:
            return "lost", "no message"
        if any(m.get("text") == safe_reply for m in messages):
            return "safe_reply", "safe reply"
        return "ok", ""

    return send


def via_rasa(rasa: str) -> Send:
    def send(session: requests.Session, sender: str, text: str) -> tuple[str, str]:
        response = session.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=REQUEST_TIMEOUT)
        if response.status_code != 200:
            return "error", f"HTTP {response.status_code}"
        return ("ok", "") if response.json() else ("lost", "no message")

    return send


def target_plans(gateway: str, rasa: str) -> dict[str, tuple[Send, tuple[str, ...]]]:
    """Each target's way of sending and the messages it sends, in order."""
    return {"gateway": (via_gateway(gateway), MIX), "rasa hello": (via_rasa(rasa), ("hello",)), "rasa mix": (via_rasa(rasa), MIX)}


def sender_name(run_id: str, target: str, conversation: str) -> str:
    """A benchmark conversation's sender id: unique to the run, the target and the conversation."""
    return f"bench-{run_id}-{target.replace(' ', '-')}-{conversation}"


def timed(send: Send, session: requests.Session, sender: str, text: str) -> tuple[str, str, float]:
    """One request: its outcome, the cause of a failure, and the milliseconds it took."""
    started = time.perf_counter()
    try:
        outcome, cause = send(session, sender, text)
    except (requests.RequestException, ValueError) as exc:
        outcome, cause = "error", exc.__class__.__name__
    return outcome, cause, (time.perf_counter() - started) * 1000


def run_level(
    target: str,
    send: Send,
    messages: tuple[str, ...],
    concurrency: int,
    max_requests: int,
    time_limit: float,
    run_id: str,
    paced: bool = False,
) -> LevelResult:
    result = LevelResult(target, concurrency, max_requests=max_requests, paced=paced)
    lock = threading.Lock()
    issued = itertools.count()
    deadline = time.monotonic() + time_limit

    def may_send() -> bool:
        with lock:
            return next(issued) < max_requests and time.monotonic() < deadline

    def conversation(worker: int) -> None:
        pauses = random.Random(worker)
        if paced:  # conversations start spread over one pause, not all at once
            time.sleep(pauses.uniform(0, PAUSE[1]))
        with requests.Session() as session:
            for turn in itertools.count():
                if not may_send():
                    return
                kind = "paced" if paced else "b2b"
                sender = sender_name(run_id, target, f"{kind}-c{concurrency}-w{worker}-n{turn // len(MIX)}")
                outcome, cause, elapsed_ms = timed(send, session, sender, messages[turn % len(messages)])
                with lock:
                    result.record(outcome, cause, elapsed_ms)
                if paced:
                    time.sleep(min(pauses.uniform(*PAUSE), max(0.0, deadline - time.monotonic())))

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(conversation, range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def side_by_side(gateway: str, rasa: str, max_requests: int, time_limit: float, run_id: str) -> list[LevelResult]:
    """One conversation per target, taking turns: gateway, rasa hello, rasa mix, gateway, ... back to back.

    The targets' levels above run one after another, minutes apart, so a ratio between them also carries whatever
    the machine's speed did in between (a shared virtual machine's can drift by a third within minutes). Here each target is
    measured in the same seconds as the others, one request in flight at a time; and a rule's reply is not
    measured on caches that only it has been using.
    """
    plans = target_plans(gateway, rasa)
    results = {target: LevelResult(target, 1, max_requests=max_requests) for target in TARGETS}
    sessions = {target: requests.Session() for target in TARGETS}
    deadline = time.monotonic() + time_limit * len(TARGETS)
    started = time.monotonic()
    for turn in itertools.count():
        if turn >= max_requests or time.monotonic() >= deadline:
            break
        for target in TARGETS:
            send, messages = plans[target]
            sender = sender_name(run_id, target, f"side-by-side-n{turn // len(MIX)}")
            results[target].record(*timed(send, sessions[target], sender, messages[turn % len(messages)]))
    for target, session in sessions.items():
        session.close()
        results[target].seconds = time.monotonic() - started
    return list(results.values())


LONG_TURNS, LONG_CONVERSATIONS, LONG_BLOCK = 60, 4, 10


def long_conversations(gateway: str, rasa: str, run_id: str) -> dict[str, tuple[list[float], int]]:
    """Per target: the p50 of each block of LONG_BLOCK turns over conversations of LONG_TURNS turns (one at a time,
    back to back), and how many turns failed (counted, not timed).

    The levels restart each conversation after one round of the mix; this shows what a turn costs as the
    conversation grows (Rasa keeps every event of a session).
    """
    plans = {target: plan for target, plan in target_plans(gateway, rasa).items() if target != "rasa mix"}
    results: dict[str, tuple[list[float], int]] = {}
    for target, (send, messages) in plans.items():
        by_turn: list[list[float]] = [[] for _ in range(LONG_TURNS)]
        failed = 0
        with requests.Session() as session:
            for conversation in range(LONG_CONVERSATIONS):
                sender = sender_name(run_id, target, f"long-{conversation}")
                for turn in range(LONG_TURNS):
                    outcome, _, elapsed_ms = timed(send, session, sender, messages[turn % len(messages)])
                    if outcome == "ok":
                        by_turn[turn].append(elapsed_ms)
                    else:
                        failed += 1
        blocks = [
            summary([ms for turn in by_turn[start : start + LONG_BLOCK] for ms in turn])["p50"]
            for start in range(0, LONG_TURNS, LONG_BLOCK)
        ]
        results[target] = (blocks, failed)
    return results


def first_turns(gateway: str, run_id: str) -> list[tuple[str, float]]:
    """The mix once through a freshly started gateway: the first answer pays for loading the embedding model."""
    send, timings = via_gateway(gateway), []
    with requests.Session() as session:
        for text in MIX:
            started = time.perf_counter()
            outcome, _ = send(session, f"bench-{run_id}-warmup", text)
            timings.append((f"{text} ({outcome})", (time.perf_counter() - started) * 1000))
    return timings


def measure(
    gateway: str, rasa: str, max_requests: int, time_limit: float, run_id: str, cpu_seconds: Callable[[], dict[str, float]]
) -> list[LevelResult]:
    """Every target at every level, back to back and paced (paced only where there is more than one conversation)."""
    plans = target_plans(gateway, rasa)
    results = []
    for paced in (False, True):
        for concurrency in LEVELS:
            if paced and concurrency == 1:
                continue  # one conversation pausing between messages is the back-to-back level, slower
            for target in TARGETS:
                send, messages = plans[target]
                before = cpu_seconds()
                result = run_level(target, send, messages, concurrency, max_requests, time_limit, run_id, paced)
                after = cpu_seconds()
                result.cpu_ms = {name: (after[name] - before.get(name, 0.0)) * 1000 for name in after}
                latency = result.latency
                print(
                    f"  {target:<10} x{concurrency:<2} {'paced' if paced else 'b2b  '} {result.sent} requests in "
                    f"{result.seconds:.1f} s: p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, "
                    f"failed {result.failed}",
                    flush=True,
                )
                results.append(result)
    return results
