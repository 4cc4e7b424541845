-- Authorisation state of the centre (docs/security.md).
--
-- Which ingest node speaks for each sensor and camera: the first node whose
-- reading, alert, camera status or segment names a source claims it; the
-- intake refuses the same source from any other node. Filled from what was
-- stored before this migration.
CREATE TABLE source_owners (
  source_id   text PRIMARY KEY,
  sender_id   text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO source_owners (source_id, sender_id)
  SELECT DISTINCT ON (sensor_id) sensor_id, sender_id FROM readings
  ORDER BY sensor_id, observed_at
ON CONFLICT DO NOTHING;
INSERT INTO source_owners (source_id, sender_id)
  SELECT DISTINCT ON (camera_id) camera_id, sender_id FROM camera_segments
  ORDER BY camera_id, start_at
ON CONFLICT DO NOTHING;

-- A session works only through the console key that signed in.
ALTER TABLE sessions ADD COLUMN key_id text NOT NULL DEFAULT '';

-- Failed sign-ins by user name (existing or not), for the lockout: five
-- within 15 minutes lock the name for 15 minutes.
CREATE TABLE login_failures (
  user_name  text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user_idx ON login_failures (user_name, at);

-- The first answer to each request that changes something, by session and
-- request id, so a resent request gets that answer and is not applied twice.
-- Kept for a day.
CREATE TABLE query_requests (
  session_hash  text NOT NULL,
  request_id    bigint NOT NULL,
  body_hash     text NOT NULL,      -- SHA-256 of the request's body: a reused id with another body is refused
  reply         bytea NOT NULL,     -- the serialised QueryReply
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_hash, request_id)
);
CREATE INDEX query_requests_age_idx ON query_requests (created_at);
