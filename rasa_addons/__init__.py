"""The project's extensions to the Rasa server (Python 3.10, the Rasa environment).

Nothing here changes Rasa when it is imported. The Rasa server is started through
`python -m rasa_addons.run run ...` (rasa_addons/run.py), which checks the Rasa
version these extensions were written for, installs the fixes below, then hands
over to Rasa's own command line:

- `action_validation`: action server replies checked against Rasa's schema by
  validators built once, each event against its own type's schema (the same
  verdicts and errors, in a fraction of the CPU time).
- `tracker_store_errors`: a turn whose conversation cannot be read or saved
  fails (the gateway gives its safe reply) instead of running on an empty
  conversation kept in memory.

Loaded by Rasa itself, by name from endpoints.yml:

- `tracker_store.TunedSQLTrackerStore`: Rasa's SQL store with SQLite set up for a
  server that writes on every turn, recent conversations kept between turns, and
  a fence that refuses a turn whose lock ended.
- `lock_store.FencedRedisLockStore` (several servers) and `InProcessLockStore`
  (one server): one turn of a conversation at a time, for sure, with a fencing
  token per turn.

Read by the rest of the project, without Rasa:

- `tracker_schema`: the table Rasa keeps conversations in (the retention commands
  delete from it), and the turn fences beside it.
"""
