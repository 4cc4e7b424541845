-- CAP 1.2 messages the centre made of the alerts it received (GB/T 35965.1
-- profile): one row per message; an alert's Update and Cancel reference its
-- earlier messages (see docs/alerts.md).
CREATE TABLE cap_messages (
  identifier   text PRIMARY KEY,
  sender       text NOT NULL,
  sent         text NOT NULL,           -- as written in the message (+08:00)
  alert_id     text NOT NULL,           -- Liandong's alert (one per episode)
  msg_type     text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
  region_code  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  xml          text NOT NULL
);
CREATE INDEX cap_messages_alert_idx ON cap_messages (alert_id, created_at);
