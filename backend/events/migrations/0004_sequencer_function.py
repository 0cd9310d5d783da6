"""On PostgreSQL the event sequencer runs inside the database (backend/events/services.py):
one call instead of a transaction of three statements after every commit that wrote events,
and the counter's row lock is held only while the function runs, never across round trips
to a web process that may be waiting for a core."""

from django.db import migrations

# VOLATILE: every statement in it reads a fresh snapshot (READ COMMITTED), so the update
# that gives positions sees every event committed before the counter's lock was granted.
CREATE = """
CREATE OR REPLACE FUNCTION events_sequence_next(
    batch integer,
    OUT last_seq bigint,
    OUT event_ids bigint[],
    OUT project_ids bigint[],
    OUT video_ids bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    SELECT c.last INTO last_seq
    FROM events_eventsequence AS c WHERE c.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- no counter row (a flushed database): last_seq is NULL, the caller makes it
    END IF;
    WITH pending AS (
        SELECT e.id, ROW_NUMBER() OVER (ORDER BY e.id) AS n
        FROM events_event AS e WHERE e.seq IS NULL ORDER BY e.id LIMIT batch
    ), positioned AS (
        UPDATE events_event AS e SET seq = last_seq + pending.n
        FROM pending WHERE e.id = pending.id
        RETURNING e.id, e.project_id, e.video_id, e.seq
    )
    SELECT array_agg(p.id ORDER BY p.seq), array_agg(p.project_id ORDER BY p.seq),
           array_agg(p.video_id ORDER BY p.seq), COALESCE(max(p.seq), last_seq)
    INTO event_ids, project_ids, video_ids, last_seq
    FROM positioned AS p;
    UPDATE events_eventsequence SET last = last_seq WHERE id = 1;
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS events_sequence_next(integer);"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_event_positions")]

    operations = [migrations.RunPython(create, drop)]
