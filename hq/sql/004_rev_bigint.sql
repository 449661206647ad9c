-- 004_rev_bigint.sql: an anomaly's rev is a bigint.
--
-- A gateway restored from a backup raises each anomaly's next rev to at least the restore's
-- Unix time (docs/deploy.md, "The rev rule after a restore"), so revs near 1.8e9 are normal
-- and pass 2^31 in January 2038. The daemon keeps rev as a 64-bit integer; HQ does too now.
ALTER TABLE anomaly ALTER COLUMN rev TYPE bigint;
