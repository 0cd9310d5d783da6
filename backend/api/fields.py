"""Bounds for integers that requests carry.

Every integer a client sends ends up in a database lookup or column; past these bounds the
database refuses it (PostgreSQL: "integer out of range", SQLite: OverflowError) and the
request would fail with a 500 instead of a 400. Input serializers give each IntegerField one
of these as ``max_value`` (tests/backend/security/test_schema.py checks that none is missing).
"""

# PostgreSQL `integer` (PositiveIntegerField): frame indices, counts, versions, steps.
INT_MAX = 2**31 - 1
# PostgreSQL `bigint` and SQLite's INTEGER (BigAutoField primary keys): ids and cursors.
ID_MAX = 2**63 - 1
