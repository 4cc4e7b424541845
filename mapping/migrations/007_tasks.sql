-- Multi-agency tasking, situation reports and standard operating procedures
-- of incidents (command-center/server).

-- A task for one agency, with a deadline to acknowledge it. A missed deadline
-- escalates: to the duty officer (escalation 1), then to the tier above (2).
CREATE TABLE tasks (
  id               text PRIMARY KEY,
  incident_id      text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  agency_id        text NOT NULL REFERENCES agencies (id),
  title            text NOT NULL,
  detail           text NOT NULL DEFAULT '',
  state            text NOT NULL CHECK (state IN ('dispatched', 'acknowledged', 'in_progress', 'completed',
                                                  'cancelled')),
  ack_deadline     timestamptz NOT NULL,
  escalation       smallint NOT NULL DEFAULT 0 CHECK (escalation BETWEEN 0 AND 2),
  sop_step         integer,            -- the SOP step this task carries out, if any
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  completed_at     timestamptz,
  progress         smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100)
);
CREATE INDEX tasks_incident_idx ON tasks (incident_id);
CREATE INDEX tasks_agency_idx ON tasks (agency_id, state);
CREATE INDEX tasks_deadline_idx ON tasks (ack_deadline) WHERE state = 'dispatched';

-- Delivery receipts: each operator of the agency, when the task was sent to
-- them and when they first saw it.
CREATE TABLE task_receipts (
  task_id      text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  recipient    text NOT NULL,
  notified_at  timestamptz NOT NULL DEFAULT now(),
  seen_at      timestamptz,
  PRIMARY KEY (task_id, recipient)
);

-- Situation reports: the first (首报), follow-ups (续报) and the final one (终报),
-- each due by a deadline set by the incident's level.
CREATE TABLE sitreps (
  incident_id   text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('first', 'followup', 'final')),
  seq           integer NOT NULL,
  due_at        timestamptz NOT NULL,
  submitted_at  timestamptz,
  submitted_by  text,
  body          text,
  overdue       boolean NOT NULL DEFAULT false,  -- the overdue alert was raised
  PRIMARY KEY (incident_id, kind, seq)
);
CREATE INDEX sitreps_due_idx ON sitreps (due_at) WHERE submitted_at IS NULL;

-- The checklist of the incident type's SOP, applied when the incident opened.
CREATE TABLE sop_steps (
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  step         integer NOT NULL,
  text         text NOT NULL,
  agency_kind  text,
  done_at      timestamptz,
  done_by      text,
  PRIMARY KEY (incident_id, step)
);
