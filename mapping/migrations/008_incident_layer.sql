-- The console's "incidents" map layer now draws from the incident desk's
-- `incidents` table (open ones, and those closed in the last day) instead of
-- raw incident reports in `events`: its version moves with every change.
DROP TRIGGER events_incident_layer ON events;
CREATE TRIGGER incidents_layer AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents
  FOR EACH STATEMENT EXECUTE FUNCTION liandong_bump_layer('incidents');
