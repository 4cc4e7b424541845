-- Readings and events become time-partitioned: one partition per UTC day,
-- created ahead by liandong_ensure_partitions() (the centre calls it at start
-- and every hour), dropped after the retention period by
-- liandong_drop_partitions(). A DEFAULT partition catches rows outside every
-- day partition (a sensor with a wrong clock), so nothing is ever refused;
-- when the day partition is created later, its rows move over.
--
-- A unique key on a partitioned table must include the partition key. The
-- time comes from the sender's durable record (observed_at, sent_at), so a
-- redelivered message carries the same time and the same key: duplicates stay
-- harmless.

ALTER TABLE readings RENAME TO readings_v2;
ALTER TABLE events RENAME TO events_v2;
ALTER INDEX readings_sensor_time_idx RENAME TO readings_v2_sensor_time_idx;
ALTER INDEX events_sender_sequence_idx RENAME TO events_v2_sender_sequence_idx;
ALTER INDEX events_kind_time_idx RENAME TO events_v2_kind_time_idx;

CREATE TABLE readings (
  id           bigserial,
  sender_id    text NOT NULL,
  sequence     bigint NOT NULL,
  sensor_id    text NOT NULL,
  quantity     text NOT NULL,
  value        double precision NOT NULL,
  unit         text NOT NULL,
  observed_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  geom         geometry(Point, 4326),
  region_code  text,
  UNIQUE (sender_id, sequence, observed_at)
) PARTITION BY RANGE (observed_at);
CREATE INDEX readings_sensor_time_idx ON readings (sensor_id, observed_at DESC);
CREATE INDEX readings_region_time_idx ON readings (region_code, observed_at DESC);
CREATE TABLE readings_default PARTITION OF readings DEFAULT;

CREATE TABLE events (
  id           bigserial,
  sender_id    text NOT NULL,
  sequence     bigint NOT NULL,
  kind         text NOT NULL,
  sent_at      timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  incident_id  text,
  region_code  text,
  payload      jsonb NOT NULL
) PARTITION BY RANGE (sent_at);
CREATE UNIQUE INDEX events_sender_sequence_idx ON events (sender_id, sequence, sent_at) WHERE sequence > 0;
CREATE INDEX events_kind_time_idx ON events (kind, sent_at DESC);
CREATE INDEX events_incident_idx ON events (incident_id) WHERE incident_id IS NOT NULL;
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- What to keep, per partitioned table (days; NULL keeps everything).
CREATE TABLE partition_policy (
  table_name      text PRIMARY KEY CHECK (table_name IN ('readings', 'events')),
  retention_days  integer CHECK (retention_days > 0),
  ahead_days      integer NOT NULL DEFAULT 7 CHECK (ahead_days BETWEEN 1 AND 366)
);
INSERT INTO partition_policy (table_name, retention_days) VALUES ('readings', 400), ('events', NULL);

-- Creates the day partitions of `parent` (readings or events) for
-- [first_day, last_day] that do not exist yet, moving any rows of those days
-- out of the DEFAULT partition first. Returns the names created.
CREATE FUNCTION liandong_ensure_partitions(parent text, first_day date, last_day date)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  d date;
  part text;
  key text;
  lo timestamptz;
  hi timestamptz;
  moved bigint;
BEGIN
  IF parent NOT IN ('readings', 'events') THEN
    RAISE EXCEPTION 'not a partitioned table: %', parent;
  END IF;
  key := CASE parent WHEN 'readings' THEN 'observed_at' ELSE 'sent_at' END;
  d := first_day;
  WHILE d <= last_day LOOP
    part := parent || '_' || to_char(d, 'YYYYMMDD');
    IF to_regclass(part) IS NULL THEN
      lo := d::timestamp AT TIME ZONE 'UTC';
      hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
      EXECUTE format('CREATE TEMP TABLE liandong_moving AS SELECT * FROM %I WHERE %I >= %L AND %I < %L',
                     parent || '_default', key, lo, key, hi);
      GET DIAGNOSTICS moved = ROW_COUNT;
      IF moved > 0 THEN
        EXECUTE format('DELETE FROM %I WHERE %I >= %L AND %I < %L', parent || '_default', key, lo, key, hi);
      END IF;
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, lo, hi);
      IF moved > 0 THEN
        EXECUTE format('INSERT INTO %I SELECT * FROM liandong_moving', parent);
      END IF;
      DROP TABLE liandong_moving;
      RETURN NEXT part;
    END IF;
    d := d + 1;
  END LOOP;
END $$;

-- Drops the day partitions of `parent` whose whole day lies before `before`.
-- Returns the names dropped.
CREATE FUNCTION liandong_drop_partitions(parent text, before date)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  part text;
BEGIN
  IF parent NOT IN ('readings', 'events') THEN
    RAISE EXCEPTION 'not a partitioned table: %', parent;
  END IF;
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent::regclass AND c.relname ~ ('^' || parent || '_[0-9]{8}$')
      AND to_date(right(c.relname, 8), 'YYYYMMDD') < before
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', part);
    RETURN NEXT part;
  END LOOP;
END $$;

SELECT count(*) FROM liandong_ensure_partitions('readings', current_date - 1, current_date + 7);
SELECT count(*) FROM liandong_ensure_partitions('events', current_date - 1, current_date + 7);
INSERT INTO readings (sender_id, sequence, sensor_id, quantity, value, unit, observed_at, received_at, geom,
                      region_code)
  SELECT sender_id, sequence, sensor_id, quantity, value, unit, observed_at, received_at, geom, region_code
  FROM readings_v2;
INSERT INTO events (sender_id, sequence, kind, sent_at, received_at, incident_id, region_code, payload)
  SELECT sender_id, sequence, kind, coalesce(sent_at, received_at), received_at, incident_id, region_code,
         payload
  FROM events_v2;
DROP TABLE readings_v2;
DROP TABLE events_v2;
