"""Progress tracking: append-only update events over the plan registry (no Streamlit here).

Modules, one job each: ``db`` (engine from one setting), ``models`` (tables), ``migrate``
(Alembic, programmatic), ``auth`` (accounts, passwords, roles, sessions, throttling), ``events``
(validated, permission-checked, optimistic-concurrency writes), ``state`` (baseline + events ->
current / as-of state, changed-since), ``backup`` (consistent backup, restore, export), ``cli``
(``python -m geo users|db``), ``pgtemp`` (a throwaway PostgreSQL server for tests/benchmarks).
See docs/tracking.md.
"""
