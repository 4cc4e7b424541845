-- Assets (agencies, cameras, sensors) with GiST indexes; approximate town
-- polygons; the map layers the console draws (simplified region geometry per
-- zoom band, a version per layer, a notification when a layer changes).

-- Agencies: who answers for what, where. `kind` is the line of work.
CREATE TABLE agencies (
  id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name         text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('flood_control', 'rental_housing', 'public_security', 'fire',
                                             'medical', 'emergency_management', 'water', 'transport', 'other')),
  region_code  text NOT NULL REFERENCES regions (code),  -- its jurisdiction (that region and below)
  phone        text,
  geom         geometry(Point, 4326),                    -- the office
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_geom_idx ON agencies USING gist (geom);
CREATE INDEX agencies_region_idx ON agencies (region_code);

-- The area a camera sees: a sector of `range_m` around `heading_deg`
-- (clockwise from north) `fov_deg` wide, or a disc when the direction is not
-- known (PTZ cameras, unknown mounting).
CREATE FUNCTION liandong_view_area(pos geometry, heading double precision, fov double precision,
                                   range_m double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN pos IS NULL THEN NULL
    WHEN heading IS NULL OR fov IS NULL OR fov >= 360 THEN
      ST_Buffer(pos::geography, range_m, 'quad_segs=8')::geometry
    ELSE
      ST_MakePolygon(ST_MakeLine(
        ARRAY[pos] ||
        ARRAY(SELECT ST_Project(pos::geography, range_m, radians(heading - fov / 2 + fov * i / 8.0))::geometry
              FROM generate_series(0, 8) AS i ORDER BY i) ||
        ARRAY[pos]))
  END
$$;

-- Cameras: ids are 20-digit GB/T 28181 device codes whose first six digits
-- are the county code (centre code 8 + industry 2 + type 3 + network 1 +
-- serial 6).
CREATE TABLE cameras (
  id           text PRIMARY KEY CHECK (id ~ '^[0-9]{20}$'),
  name         text NOT NULL,
  region_code  text REFERENCES regions (code),   -- the deepest region containing it; NULL: outside all
  outside      boolean NOT NULL DEFAULT false,   -- true when no region contains the point (kept, flagged)
  agency_id    text REFERENCES agencies (id),
  heading_deg  double precision CHECK (heading_deg >= 0 AND heading_deg < 360),
  fov_deg      double precision CHECK (fov_deg > 0 AND fov_deg <= 360),
  range_m      double precision NOT NULL DEFAULT 100 CHECK (range_m > 0 AND range_m <= 5000),
  main_url     text,
  sub_url      text,
  geom         geometry(Point, 4326) NOT NULL,
  merc         geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
  view_area    geometry(Polygon, 4326)
               GENERATED ALWAYS AS (liandong_view_area(geom, heading_deg, fov_deg, range_m)) STORED,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cameras_geom_idx ON cameras USING gist (geom);
CREATE INDEX cameras_merc_idx ON cameras USING gist (merc);
CREATE INDEX cameras_view_idx ON cameras USING gist (view_area);
CREATE INDEX cameras_region_idx ON cameras (region_code);

-- Sensors: `station_code` is the telemetry station address (SL 651: 10
-- hex digits); `thresholds` maps a quantity to its warning levels, e.g.
-- {"water_level": {"blue": 2.5, "yellow": 3.0, "orange": 3.5, "red": 4.0}}.
CREATE TABLE sensors (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('water_level', 'rainfall', 'tide', 'flow', 'wind', 'smoke',
                                              'gas', 'door', 'temperature', 'other')),
  station_code  text,
  region_code   text REFERENCES regions (code),
  outside       boolean NOT NULL DEFAULT false,
  agency_id     text REFERENCES agencies (id),
  thresholds    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(thresholds) = 'object'),
  geom          geometry(Point, 4326) NOT NULL,
  merc          geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sensors_geom_idx ON sensors USING gist (geom);
CREATE INDEX sensors_merc_idx ON sensors USING gist (merc);
CREATE INDEX sensors_region_idx ON sensors (region_code);
CREATE INDEX sensors_kind_idx ON sensors (kind);
CREATE UNIQUE INDEX sensors_station_idx ON sensors (station_code) WHERE station_code IS NOT NULL;

-- Region polygons cut into pieces of at most 128 vertices (ST_Subdivide),
-- kept in step with `regions` by a trigger: a point is tested against a few
-- small pieces found by the index instead of a province outline with
-- thousands of vertices. `depth` 4 is a town, 1 the province.
CREATE TABLE region_parts (
  code   text NOT NULL REFERENCES regions (code) ON DELETE CASCADE,
  depth  smallint NOT NULL,
  geom   geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX region_parts_geom_idx ON region_parts USING gist (geom);
CREATE INDEX region_parts_code_idx ON region_parts (code);

-- The deepest region containing a point (town where town polygons exist).
CREATE FUNCTION liandong_region_at(pt geometry) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT code FROM region_parts
  WHERE geom && pt AND ST_Intersects(geom, pt)
  ORDER BY depth DESC, code
  LIMIT 1
$$;

-- Cameras and sensors find their region themselves unless the row names one.
CREATE FUNCTION liandong_locate_asset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.region_code IS NULL OR (TG_OP = 'UPDATE' AND NOT ST_Equals(NEW.geom, OLD.geom)
                                  AND NEW.region_code IS NOT DISTINCT FROM OLD.region_code) THEN
    NEW.region_code := liandong_region_at(NEW.geom);
  END IF;
  NEW.outside := NEW.region_code IS NULL;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER cameras_locate BEFORE INSERT OR UPDATE ON cameras
  FOR EACH ROW EXECUTE FUNCTION liandong_locate_asset();
CREATE TRIGGER sensors_locate BEFORE INSERT OR UPDATE ON sensors
  FOR EACH ROW EXECUTE FUNCTION liandong_locate_asset();

-- The region codes of a subtree (the region and everything below it).
CREATE FUNCTION liandong_region_subtree(root text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
  WITH RECURSIVE t(code) AS (
    SELECT code FROM regions WHERE code = root
    UNION ALL
    SELECT r.code FROM regions r JOIN t ON r.parent_code = t.code
  )
  SELECT code FROM t
$$;

-- Approximate town polygons for one county: points spread evenly over the
-- county are grouped by k-means into as many clusters as it has towns still
-- without a real polygon; the Voronoi cells of the cluster centres, clipped
-- to what real town polygons leave of the county, become the towns (marked
-- approximate). Streets (街道, codes 001-099) are usually the urban core
-- around the county seat, so they get the cells nearest the seat, towns (镇)
-- the outer ones. Deterministic for a given county. Returns how many towns got
-- a polygon.
CREATE FUNCTION liandong_derive_town_polygons(county text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  c regions%ROWTYPE;
  remainder geometry;
  n integer;
BEGIN
  SELECT * INTO c FROM regions WHERE code = county AND tier = 'county';
  IF NOT FOUND OR c.geom IS NULL THEN
    RETURN 0;
  END IF;
  SELECT count(*) INTO n FROM regions WHERE parent_code = county AND tier = 'town' AND (geom IS NULL OR approximate);
  IF n = 0 THEN
    RETURN 0;
  END IF;
  SELECT coalesce(ST_Difference(c.geom, ST_Union(geom)), c.geom) INTO remainder
  FROM regions WHERE parent_code = county AND tier = 'town' AND geom IS NOT NULL AND NOT approximate;
  remainder := coalesce(remainder, c.geom);
  IF ST_IsEmpty(remainder) THEN
    RETURN 0;
  END IF;
  WITH pts AS (
    SELECT (ST_Dump(ST_GeneratePoints(remainder, greatest(n * 40, 200), county::integer))).geom AS p
  ), clustered AS (
    SELECT p, ST_ClusterKMeans(p, n) OVER () AS k FROM pts
  ), centres AS (
    SELECT k, ST_Centroid(ST_Collect(p)) AS centre FROM clustered GROUP BY k
  ), cells AS (
    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(centre), 0, ST_Expand(ST_Envelope(c.geom), 0.5)))).geom AS cell
    FROM centres
  ), ranked AS (
    SELECT ce.centre, cl.cell,
           row_number() OVER (ORDER BY ST_Distance(ce.centre, coalesce(c.label_point, ST_PointOnSurface(c.geom))),
                                       ST_X(ce.centre), ST_Y(ce.centre)) AS rank
    FROM centres ce JOIN cells cl ON ST_Intersects(cl.cell, ce.centre)
  ), towns AS (
    SELECT code, row_number() OVER (ORDER BY code) AS rank
    FROM regions WHERE parent_code = county AND tier = 'town' AND (geom IS NULL OR approximate)
  )
  UPDATE regions r
  SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(ranked.cell, remainder)), 3)),
      label_point = ranked.centre,
      approximate = true,
      area_km2 = ST_Area(ST_Intersection(ranked.cell, remainder)::geography) / 1e6,
      updated_at = now()
  FROM towns JOIN ranked USING (rank)
  WHERE r.code = towns.code;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- Map layers: a version per layer, bumped by every change, with a
-- notification on channel `liandong_map` (payload: the layer) so that tile
-- caches drop what is stale without asking the database on every request.
CREATE TABLE map_layers (
  layer    text PRIMARY KEY,
  version  bigint NOT NULL DEFAULT 1
);
INSERT INTO map_layers (layer) VALUES ('regions'), ('cameras'), ('sensors'), ('incidents');

CREATE FUNCTION liandong_bump_layer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE map_layers SET version = version + 1 WHERE layer = TG_ARGV[0];
  PERFORM pg_notify('liandong_map', TG_ARGV[0]);
  RETURN NULL;
END $$;
CREATE TRIGGER regions_layer AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions
  FOR EACH STATEMENT EXECUTE FUNCTION liandong_bump_layer('regions');
CREATE TRIGGER cameras_layer AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cameras
  FOR EACH STATEMENT EXECUTE FUNCTION liandong_bump_layer('cameras');
CREATE TRIGGER sensors_layer AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sensors
  FOR EACH STATEMENT EXECUTE FUNCTION liandong_bump_layer('sensors');
CREATE TRIGGER events_incident_layer AFTER INSERT ON events
  FOR EACH ROW WHEN (NEW.kind = 'incident') EXECUTE FUNCTION liandong_bump_layer('incidents');

-- Region outlines simplified per zoom band, in Web Mercator, kept in step
-- with `regions` by a trigger. Band 0: zoom 0-6, 1: 7-9, 2: 10-12, 3: 13+
-- (tolerance about a quarter of a screen pixel at the band's deepest zoom).
CREATE TABLE map_region_geoms (
  code  text NOT NULL REFERENCES regions (code) ON DELETE CASCADE,
  band  smallint NOT NULL CHECK (band BETWEEN 0 AND 3),
  geom  geometry(MultiPolygon, 3857) NOT NULL,
  PRIMARY KEY (code, band)
);
CREATE INDEX map_region_geoms_geom_idx ON map_region_geoms USING gist (geom);

CREATE FUNCTION liandong_simplify_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM map_region_geoms WHERE code = NEW.code;
  DELETE FROM region_parts WHERE code = NEW.code;
  IF NEW.geom IS NOT NULL THEN
    INSERT INTO map_region_geoms (code, band, geom)
    SELECT NEW.code, b.band, g
    FROM (VALUES (0, 600.0), (1, 75.0), (2, 10.0), (3, 0.0)) AS b(band, tolerance),
         LATERAL (SELECT ST_Multi(ST_CollectionExtract(
                    ST_SimplifyPreserveTopology(ST_Transform(NEW.geom, 3857), b.tolerance), 3)) AS g) s
    WHERE NOT ST_IsEmpty(g);
    INSERT INTO region_parts (code, depth, geom)
    SELECT NEW.code, CASE NEW.tier WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, p
    FROM ST_Subdivide(NEW.geom, 128) AS p
    WHERE GeometryType(p) = 'POLYGON';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER regions_simplify AFTER INSERT OR UPDATE OF geom ON regions
  FOR EACH ROW EXECUTE FUNCTION liandong_simplify_region();
INSERT INTO map_region_geoms (code, band, geom)
SELECT r.code, b.band, ST_Multi(ST_CollectionExtract(ST_SimplifyPreserveTopology(ST_Transform(r.geom, 3857),
                                                                                 b.tolerance), 3))
FROM regions r, (VALUES (0, 600.0), (1, 75.0), (2, 10.0), (3, 0.0)) AS b(band, tolerance)
WHERE r.geom IS NOT NULL;
INSERT INTO region_parts (code, depth, geom)
SELECT r.code, CASE r.tier WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, p
FROM regions r, ST_Subdivide(r.geom, 128) AS p
WHERE r.geom IS NOT NULL AND GeometryType(p) = 'POLYGON';
