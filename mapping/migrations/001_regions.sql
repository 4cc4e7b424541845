-- Administrative regions of the four tiers: province, city, county (GB/T 2260
-- 6-digit codes) and town (NBS 9-digit codes). Town polygons are approximate
-- where no official source exists (see `approximate`).
CREATE TABLE regions (
  code         text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3})?$'),
  name         text NOT NULL,
  name_en      text,
  tier         text NOT NULL CHECK (tier IN ('province', 'city', 'county', 'town')),
  parent_code  text REFERENCES regions (code),
  approximate  boolean NOT NULL DEFAULT false,
  label_point  geometry(Point, 4326),
  geom         geometry(MultiPolygon, 4326),
  area_km2     double precision,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX regions_geom_idx ON regions USING gist (geom);
CREATE INDEX regions_parent_idx ON regions (parent_code);
CREATE INDEX regions_tier_idx ON regions (tier);
