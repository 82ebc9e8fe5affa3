"""rasa_addons, run in the Rasa environment (Python 3.10) as the Rasa server runs it (the `in_rasa` fixture)."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def test_action_replies_are_still_validated_after_the_fix(in_rasa):
    verdicts = in_rasa("""
        from rasa_addons import run
        run.install()  # as `python -m rasa_addons.run` does before Rasa starts
        from jsonschema import ValidationError
        from rasa.core.actions.action import RemoteAction

        action = RemoteAction("action_answer_question", None)
        good = {"events": [{"event": "slot", "name": "current_topic", "value": "driving"}],
                "responses": [{"custom": {"text": "You should not drive for 24 hours."}}]}
        verdicts = [RemoteAction._validate_action_result.__module__, action._validate_action_result(good)]
        try:
            action._validate_action_result({"events": "not a list"})
        except ValidationError as error:
            verdicts.append("refused: " + ("Failed to validate Action server response" in error.message) * "with Rasa's message")
        print(verdicts)
    """)
    assert verdicts == "['rasa_addons.action_validation', True, \"refused: with Rasa's message\"]"


def test_the_entry_point_installs_the_fix_and_runs_rasas_command_line_and_importing_changes_nothing(in_rasa):
    found = in_rasa("""
        import contextlib
        import io
        import runpy
        import sys
        from rasa.core.actions.action import RemoteAction

        import rasa_addons
        import rasa_addons.tracker_store  # what endpoints.yml makes Rasa import
        after_import = RemoteAction._validate_action_result.__module__
        sys.argv = ["rasa_addons.run", "--version"]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                runpy.run_module("rasa_addons.run", run_name="__main__")
            except SystemExit as done:
                status = done.code
        print([after_import, RemoteAction._validate_action_result.__module__, status,
               [line.split()[-1] for line in printed.getvalue().splitlines() if line.startswith("Rasa Version")]])
    """)
    assert found == "['rasa.core.actions.action', 'rasa_addons.action_validation', 0, ['3.6.21']]"


def test_on_another_rasa_version_nothing_is_replaced_and_neither_rasa_nor_the_tracker_store_starts(in_rasa, tmp_path):
    found = in_rasa(f"""
        import contextlib
        import io
        import os
        import rasa.version
        from rasa.core.actions.action import RemoteAction
        from rasa.core.tracker_store import create_tracker_store
        from rasa.shared.core.domain import Domain
        from rasa.utils.endpoints import read_endpoint_config

        from rasa_addons import rasa_version, run

        rasa.version.__version__ = "3.6.22"  # as if pip had upgraded Rasa
        said = io.StringIO()
        with contextlib.redirect_stderr(said):
            status = run.main(["run", "--enable-api"])
        os.environ.update(ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook", TRACKER_DIALECT="sqlite",
                          TRACKER_DB="{tmp_path / "tracker.db"}")
        try:
            create_tracker_store(read_endpoint_config("endpoints.yml", "tracker_store"), Domain.empty())
            store = "started"
        except rasa_version.IncompatibleRasa:
            store = "refused"
        print([status, RemoteAction._validate_action_result.__module__, store,
               "written for Rasa 3.6.21" in said.getvalue() and "3.6.22 is installed" in said.getvalue()])
    """)
    assert found == "[2, 'rasa.core.actions.action', 'refused', True]"


def test_the_tracker_table_layout_the_project_reads_is_rasas_own(in_rasa):
    found = in_rasa("""
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa_addons.tracker_schema import EVENTS

        def layout(table):
            return sorted((c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable, c.primary_key,
                           bool(c.index)) for c in table.columns)

        rasas = SQLTrackerStore.SQLEvent.__table__
        print([rasas.name == EVENTS.name, layout(rasas) == layout(EVENTS), len(layout(EVENTS))])
    """)
    assert found == "[True, True, 7]"


def test_the_per_event_check_gives_the_full_schemas_verdict_on_every_kind_of_event(in_rasa):
    verdicts = in_rasa("""
        import copy
        import datetime
        from rasa.shared.core import events
        from rasa_addons.action_validation import reply_validators

        validators = reply_validators()
        samples = [events.UserUttered("hi", {"name": "greet", "confidence": 0.9}), events.ActionExecuted("utter_greet"),
                   events.SlotSet("current_topic", "driving"), events.BotUttered("Hello", {"custom": {"a": 1}}),
                   events.ActiveLoop("contact_form"), events.Restarted(), events.SessionStarted(),
                   events.FollowupAction("action_listen"), events.AllSlotsReset(), events.ConversationPaused(),
                   events.ConversationResumed(), events.UserUtteranceReverted(), events.ActionReverted(),
                   events.LoopInterrupted(True), events.ActionExecutionRejected("contact_form"),
                   events.ReminderScheduled("remind", datetime.datetime(2030, 1, 1)),
                   events.ReminderCancelled(name="remind"), events.EntitiesAdded([{"entity": "procedure", "value": "x"}])]
        valid = [e.as_dict() for e in samples]
        broken = []
        for event in valid:
            for key in list(event):
                without = copy.deepcopy(event)
                del without[key]
                broken.append(without)
                for wrong in (12, "text", None, [1], {"x": 1}):
                    changed = copy.deepcopy(event)
                    changed[key] = wrong
                    broken.append(changed)
        broken += [{"event": "no_such_event"}, {"event": 3}, "slot", None, [], {}]
        replies = [{"events": [e]} for e in valid + broken]
        replies += [{"events": valid, "responses": [{"text": "hi"}]}, {"events": "not a list"}, {"responses": "x"},
                    {"events": valid + ["slot"]}, [], None, {}]
        disagreements = [r for r in replies if validators.is_valid(r) != validators.full.is_valid(r)]
        accepted = sum(validators.full.is_valid(r) for r in replies)
        print([len(validators.by_event), len(replies), accepted > 20, len(replies) - accepted > 20, disagreements])
    """)
    event_types, total, some_accepted, some_refused, disagreements = eval(verdicts)  # noqa: S307 (our own printed list)
    assert event_types == 23  # the shortcut is in use for every event type Rasa 3.6 knows
    assert total > 300 and some_accepted and some_refused
    assert disagreements == []


def test_the_sqlite_tracker_store_writes_ahead_without_waiting_for_the_disk_twice(in_rasa, tmp_path):
    modes = in_rasa(f"""
        from rasa.core.tracker_store import create_tracker_store
        from rasa.shared.core.domain import Domain
        from rasa.utils.endpoints import read_endpoint_config
        import os
        os.environ.update(ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook", TRACKER_DIALECT="sqlite",
                          TRACKER_DB="{tmp_path / "tracker.db"}")
        store = create_tracker_store(read_endpoint_config("endpoints.yml", "tracker_store"), Domain.empty())
        with store.engine.connect() as connection:
            print([type(store).__name__] + [connection.exec_driver_sql(f"PRAGMA {{name}}").scalar()
                                            for name in ("journal_mode", "synchronous")])
    """)
    assert modes == "['TunedSQLTrackerStore', 'wal', 1]"  # synchronous 1 = NORMAL


def test_the_scaled_set_up_keeps_conversations_in_postgresql(in_rasa, request):
    database = make_url(request.getfixturevalue("postgres_url")).database
    found = in_rasa(f"""
        import asyncio
        import os
        from rasa.core.tracker_store import create_tracker_store
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.shared.core.events import UserUttered
        from rasa.utils.endpoints import read_endpoint_config
        os.environ.update(ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook", TRACKER_DB_HOST="127.0.0.1",
                          TRACKER_DB_PORT="5432", TRACKER_DB="{database}", TRACKER_DB_USER="postgres",
                          TRACKER_DB_PASSWORD="", REDIS_HOST="127.0.0.1", REDIS_PORT="6379")
        store = create_tracker_store(read_endpoint_config("endpoints.scaled.yml", "tracker_store"), Domain.empty())
        asyncio.run(store.save(DialogueStateTracker.from_events("sms:+15550100", [UserUttered("hello")])))
        kept = asyncio.run(store.retrieve("sms:+15550100"))
        from rasa.core.lock_store import LockStore
        locks = LockStore.create(read_endpoint_config("endpoints.scaled.yml", "lock_store"))
        print([type(store).__name__, store.engine.dialect.name, [e.text for e in kept.events if isinstance(e, UserUttered)],
               type(locks).__name__, locks.redis.connection_pool.connection_kwargs["db"]])
    """)
    assert found == "['TunedSQLTrackerStore', 'postgresql', ['hello'], 'FencedRedisLockStore', 1]"


KEPT_TRACKERS = """
    import asyncio
    import os
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import create_tracker_store
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config
    os.environ.update(ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook", TRACKER_DIALECT="sqlite", TRACKER_DB="{db}")

    def store():
        return create_tracker_store(read_endpoint_config("endpoints.yml", "tracker_store"), Domain.empty())

    def said(tracker):
        return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else None

    locks = LockStore.create(read_endpoint_config("endpoints.yml", "lock_store"))

    def read(store):
        async def under_lock():  # as Rasa reads a conversation: under the lock store's lock
            async with locks.lock("web:p1"):
                return await store.retrieve("web:p1")
        return asyncio.run(under_lock())

    def turn(store, text):
        async def under_lock():
            async with locks.lock("web:p1"):
                tracker = await store.retrieve("web:p1")
                tracker.update(UserUttered(text))
                await store.save(tracker)
                return tracker
        return asyncio.run(under_lock())

    server, other = store(), store()
    first = DialogueStateTracker.from_events("web:p1", [ActionExecuted("action_session_start"), SessionStarted(),
                                                         ActionExecuted("action_listen"), UserUttered("one")])
    asyncio.run(server.save(first))
"""


def test_the_next_turn_gets_the_saved_conversation_back_as_a_rebuild_would_give_it(in_rasa, tmp_path):
    found = in_rasa(
        KEPT_TRACKERS.format(db=tmp_path / "tracker.db")
        + """
    after_first = read(server)  # the first turn's tracker holds action_session_start: rebuilt
    second = turn(server, "two")
    third = read(server)
    rebuilt = read(other)
    print([after_first is first, third is second, said(third),
           [e.as_dict() for e in third.events] == [e.as_dict() for e in rebuilt.events]])
    """
    )
    assert found == "[False, True, ['one', 'two'], True]"


def test_under_rasas_own_lock_store_no_tracker_is_kept(in_rasa, tmp_path):
    found = in_rasa(
        KEPT_TRACKERS.format(db=tmp_path / "tracker.db")
        + """
    from rasa.core.lock_store import InMemoryLockStore
    locks = InMemoryLockStore()  # exclusive within one server only: another may write the conversation meanwhile
    read(server)
    second = turn(server, "two")
    third = read(server)
    print([third is second, said(third)])
    """
    )
    assert found == "[False, ['one', 'two']]"


def test_a_turn_another_server_wrote_or_a_turn_that_failed_is_read_from_the_database(in_rasa, tmp_path):
    found = in_rasa(
        KEPT_TRACKERS.format(db=tmp_path / "tracker.db")
        + """
    read(server)
    turn(server, "two")
    turn(other, "three")  # another Rasa server took this turn
    after_other = said(read(server))
    turn(server, "four")
    failed = read(server)
    failed.update(UserUttered("never saved"))  # the turn failed before Rasa saved it
    after_failure = said(read(server))
    print([after_other, after_failure])
    """
    )
    assert found == "[['one', 'two', 'three'], ['one', 'two', 'three', 'four']]"


def test_a_conversation_deleted_from_the_database_is_not_served_from_memory(in_rasa, tmp_path):
    found = in_rasa(
        KEPT_TRACKERS.format(db=tmp_path / "tracker.db")
        + """
    read(server)
    turn(server, "two")
    from sqlalchemy import create_engine
    from rasa_addons.tracker_schema import EVENTS
    with create_engine("sqlite:///{db}").begin() as connection:  # what `retention forget` does, from another process
        connection.execute(EVENTS.delete().where(EVENTS.c.sender_id == "web:p1"))
    print(said(read(server)))
    """.replace("{db}", str(tmp_path / "tracker.db"))
    )
    assert found == "None"


def test_the_sqlite_tracker_store_reuses_its_connections_from_turn_to_turn(in_rasa, tmp_path):
    found = in_rasa(
        KEPT_TRACKERS.format(db=tmp_path / "tracker.db")
        + """
    from sqlalchemy import event
    opened = []
    event.listen(server.engine, "connect", lambda *_: opened.append(1))
    for text in ("two", "three", "four", "five", "six"):
        turn(server, text)
    print([len(opened), said(read(other))])
    """
    )
    opened, said = eval(found)  # noqa: S307 (our own printed list)
    assert opened <= 1  # SQLAlchemy 1.4 on its own opens a connection per session: three a turn
    assert said == ["one", "two", "three", "four", "five", "six"]


def test_rasa_reports_the_model_it_has_loaded_on_one_route_installed_once(in_rasa):
    found = in_rasa("""
        from types import SimpleNamespace
        from rasa.core import run
        from rasa_addons import model_report
        from rasa_addons.run import install

        install([]); install([])  # twice: one route, not two
        app = run.configure_app(enable_api=False, input_channels=[])
        paths = [route.path.strip("/") for route in app.router.routes]
        agent = SimpleNamespace(model_id="3f2a", processor=SimpleNamespace(model_filename="/srv/models/assistant-1.tar.gz"))
        print([paths.count("assistant/model"), model_report.describe(agent), model_report.describe(None)])
    """)
    assert found == ("[1, {'model_file': 'assistant-1.tar.gz', 'model_id': '3f2a'}, {'model_file': None, 'model_id': None}]")


def test_a_turn_whose_conversation_cannot_be_read_or_saved_fails_and_nothing_is_kept_in_memory(in_rasa):
    """Rasa's FailSafeTrackerStore would hand the turn an empty conversation (answered without its procedure) and
    keep the turn's events in an in-memory store: the error must reach the turn instead."""
    found = in_rasa("""
        import asyncio
        from rasa.core.agent import Agent
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.trackers import DialogueStateTracker

        from rasa_addons import run
        run.install()  # as `python -m rasa_addons.run` does before Rasa starts
        run.install()

        class DatabaseCut(InMemoryTrackerStore):
            async def retrieve(self, sender_id):
                raise ConnectionError("database unreachable")

            async def save(self, tracker):
                raise ConnectionError("database unreachable")

        agent = Agent(domain=Domain.empty(), tracker_store=DatabaseCut(Domain.empty()))
        store = agent.tracker_store

        async def attempt(call):
            try:
                await call
                return "went on"
            except ConnectionError:
                return "failed"

        async def main():
            read = await attempt(store.get_or_create_tracker("patient-1"))
            saved = await attempt(store.save(DialogueStateTracker("patient-1", [])))
            kept = await store.fallback_tracker_store.keys()
            return [read, saved, list(kept)]

        print(asyncio.run(main()))
    """)
    assert found == "['failed', 'failed', []]"
