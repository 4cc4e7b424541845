-- The command centre's incidents, the people who handle them, and the
-- hash-chained audit log of every change (command-center/server). An incident
-- keeps its region at every tier so jurisdiction checks are one comparison.
CREATE TABLE incidents (
  id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:/-]{1,96}$'),
  type           text NOT NULL CHECK (type ~ '^[a-z_]{1,32}$'),
  title          text NOT NULL,
  description    text NOT NULL DEFAULT '',
  level          smallint NOT NULL CHECK (level BETWEEN 1 AND 4),   -- response level I..IV
  colour         text NOT NULL CHECK (colour IN ('blue', 'yellow', 'orange', 'red', 'none')),
  state          text NOT NULL CHECK (state IN ('reported', 'verified', 'responding', 'contained', 'closed')),
  lead_tier      text NOT NULL CHECK (lead_tier IN ('state', 'province', 'city', 'county', 'town')),
  geom           geometry(Point, 4326) NOT NULL,
  province_code  text,
  city_code      text,
  county_code    text,
  town_code      text,
  origin_centre  text NOT NULL,       -- the centre that opened it
  via_centre     text,                -- the child centre this copy came from (changes go back to it)
  reported_by    text NOT NULL,       -- a user, an agency, or "alert:<rule>"
  opened_at      timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz,
  version        integer NOT NULL DEFAULT 1  -- bumped by every change; remote copies keep the highest
);
CREATE SEQUENCE incident_serial;
CREATE INDEX incidents_geom_idx ON incidents USING gist (geom);
CREATE INDEX incidents_open_idx ON incidents (type, updated_at) WHERE state <> 'closed';
CREATE INDEX incidents_county_idx ON incidents (county_code);
CREATE INDEX incidents_town_idx ON incidents (town_code);

-- Alerts correlated into an incident; an alert belongs to one incident.
CREATE TABLE incident_alerts (
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  alert_id     text NOT NULL UNIQUE,
  colour       text NOT NULL,
  cleared      boolean NOT NULL DEFAULT false,
  linked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, alert_id)
);

-- Cameras that see the incident's place, found when it opens (nearest first).
CREATE TABLE incident_cameras (
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  camera_id    text NOT NULL,
  distance_m   double precision NOT NULL,
  PRIMARY KEY (incident_id, camera_id)
);

-- Everything that happened to an incident, in order.
CREATE TABLE incident_timeline (
  id           bigserial PRIMARY KEY,
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_timeline_idx ON incident_timeline (incident_id, id);

-- Photos and other files sent with a report from the field.
CREATE TABLE incident_attachments (
  id           bigserial PRIMARY KEY,
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  media_type   text NOT NULL,
  data         bytea NOT NULL,
  added_by     text NOT NULL,
  added_at     timestamptz NOT NULL DEFAULT now()
);

-- Accounts. Passwords are Argon2id strings from libsodium (crypto_pwhash_str);
-- the jurisdiction is a region subtree, an agency operator also has an agency.
CREATE TABLE users (
  name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
  display_name   text NOT NULL,
  role           text NOT NULL CHECK (role IN ('duty_officer', 'agency_operator', 'leader', 'admin')),
  region_code    text NOT NULL REFERENCES regions (code),
  agency_id      text REFERENCES agencies (id),
  password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'agency_operator' OR agency_id IS NOT NULL)
);

-- Sessions: only the SHA-256 of the token is stored.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  user_name   text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  console     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- The audit log: each row's hash covers its content and the previous row's
-- hash, so changing, inserting or deleting a row breaks the chain
-- (`liandong-audit verify`). Rows are appended under an advisory lock.
CREATE FUNCTION liandong_audit_hash(prev text, at_us bigint, actor text, console text, action text,
                                    object text, before jsonb, after jsonb)
  RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(
    concat_ws(E'\x1f', prev, at_us::text, actor, console, action, object,
              coalesce(before::text, 'null'), coalesce(after::text, 'null')), 'UTF8')), 'hex')
$$;

CREATE TABLE audit_log (
  seq        bigserial PRIMARY KEY,
  at_us      bigint NOT NULL,          -- microseconds since 1970 (UTC)
  actor      text NOT NULL,
  console    text NOT NULL,
  action     text NOT NULL,
  object     text NOT NULL,
  before     jsonb,
  after      jsonb,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);

CREATE FUNCTION liandong_audit(p_actor text, p_console text, p_action text, p_object text,
                               p_before jsonb, p_after jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  prev text;
  t bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
  h text;
BEGIN
  PERFORM pg_advisory_xact_lock(4242001);
  SELECT hash INTO prev FROM audit_log ORDER BY seq DESC LIMIT 1;
  prev := coalesce(prev, repeat('0', 64));
  h := liandong_audit_hash(prev, t, p_actor, p_console, p_action, p_object, p_before, p_after);
  INSERT INTO audit_log (at_us, actor, console, action, object, before, after, prev_hash, hash)
  VALUES (t, p_actor, p_console, p_action, p_object, p_before, p_after, prev, h);
  RETURN h;
END $$;
