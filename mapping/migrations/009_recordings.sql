-- The index of camera recordings: one row per finished segment file on an
-- ingest node (RecordingSegment messages, stored by the intake). A resent
-- segment changes nothing (unique camera + path); a segment that retention
-- deleted on the node keeps its row with removed_at set, so the index says
-- what was recorded and what can still be exported.
CREATE TABLE camera_segments (
  id           bigserial PRIMARY KEY,
  sender_id    text NOT NULL,         -- the ingest node that holds the file
  camera_id    text NOT NULL,
  path         text NOT NULL,         -- on that node
  start_at     timestamptz NOT NULL,
  end_at       timestamptz NOT NULL,
  bytes        bigint NOT NULL,
  removed_at   timestamptz,
  received_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (camera_id, path),
  CHECK (end_at >= start_at)
);
CREATE INDEX camera_segments_camera_time_idx ON camera_segments (camera_id, start_at);

-- The stretches of [t0, t1] that no kept segment of a camera covers, oldest
-- first. Segments that touch or overlap within `tolerance` count as
-- continuous (a split leaves up to a frame between two files).
CREATE FUNCTION camera_recording_gaps(camera text, t0 timestamptz, t1 timestamptz,
                                      tolerance interval DEFAULT interval '1 second')
RETURNS TABLE (gap_start timestamptz, gap_end timestamptz)
LANGUAGE sql STABLE AS $$
  WITH s AS (
    SELECT start_at, end_at FROM camera_segments
    WHERE camera_id = camera AND removed_at IS NULL AND end_at > t0 AND start_at < t1
  ), o AS (
    -- the latest end of everything that started before this segment
    SELECT start_at,
           max(end_at) OVER (ORDER BY start_at, end_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
             AS covered_until
    FROM s
  ), edges AS (
    SELECT coalesce(covered_until, t0) AS a, start_at AS b FROM o
    UNION ALL
    SELECT coalesce((SELECT max(end_at) FROM s), t0), t1
  )
  SELECT greatest(a, t0), least(b, t1) FROM edges
  WHERE least(b, t1) - greatest(a, t0) > tolerance
  ORDER BY 1
$$;
