-- 003_status_ts.sql: a status's own time, so that store_status never goes backwards.
--
-- P/status may carry "ts" (when the gateway published it). store_status keeps the newest
-- status by what both messages carry: a later started_at (a later run of the gateway), then a
-- later ts; without them, the latest arrival (hq/hq_write_sql.h). Two instances on one shared
-- subscription may commit a store's statuses in either order; this keeps the latest row right.
ALTER TABLE store_status ADD COLUMN ts timestamptz;  -- the status's ts, NULL when it had none
ALTER TABLE status_history ADD COLUMN ts timestamptz;
