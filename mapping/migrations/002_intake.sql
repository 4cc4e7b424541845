-- What the centre's intake stores. Readings and events will be partitioned by
-- time (the geography issue); for now plain tables with the keys that make
-- redelivery harmless: one row per (sender_id, sequence).
CREATE TABLE readings (
  id           bigserial PRIMARY KEY,
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
  UNIQUE (sender_id, sequence)
);
CREATE INDEX readings_sensor_time_idx ON readings (sensor_id, observed_at DESC);
-- No spatial index here on purpose: readings are found by sensor, region and
-- time; the sensors (assets) carry the spatial index. It would cost the
-- intake a GiST insert per reading (measured: see docs/performance.md).

-- Every other message (alerts, camera status, incident reports, gap notices), as JSON.
CREATE TABLE events (
  id           bigserial PRIMARY KEY,
  sender_id    text NOT NULL,
  sequence     bigint NOT NULL,
  kind         text NOT NULL,
  sent_at      timestamptz,
  received_at  timestamptz NOT NULL DEFAULT now(),
  incident_id  text,
  region_code  text,
  payload      jsonb NOT NULL
);
-- Gap notices arrive unsequenced (0); everything else once per (sender, sequence).
CREATE UNIQUE INDEX events_sender_sequence_idx ON events (sender_id, sequence) WHERE sequence > 0;
CREATE INDEX events_kind_time_idx ON events (kind, received_at DESC);

-- Per sender: everything up to `sequence` is stored (the link's watermark).
CREATE TABLE link_watermarks (
  sender_id   text PRIMARY KEY,
  sequence    bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The link state of each peer as the centre last saw it.
CREATE TABLE link_peers (
  peer_id     text PRIMARY KEY,
  state       text NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);
