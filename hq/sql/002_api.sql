-- 002_api.sql: schema version 2: the HTTP API (shelfwatch-hq serve): commands HQ sends to
-- gateways (an analyst's verdict, a detect request) and the indexes of the API's queries.
--
-- The API runs every request as the token's tenant role (SET ROLE), so row-level security
-- decides what it reads and writes; every query also names the tenant, which is what lets the
-- indexes below lead with it (RLS's IN (subquery) alone cannot drive an index scan).

-- Every command the API forwarded to a gateway, and what became of it.
CREATE TABLE gateway_command (
        seq          bigserial PRIMARY KEY,
        tenant       text NOT NULL,
        store        text NOT NULL,
        command      text NOT NULL,          -- outcome / detect
        anomaly      text,                   -- outcome: the anomaly judged
        outcome      text,                   -- outcome: true_positive / false_positive
        request      jsonb NOT NULL,         -- the command's payload as published
        requested_by text NOT NULL,          -- the token's name (never the token)
        requested_at timestamptz NOT NULL DEFAULT now(),
        state        text NOT NULL,          -- sent / answered / refused / timeout / unreachable
        reply        jsonb,                  -- the gateway's reply
        answered_at  timestamptz
);
CREATE INDEX gateway_command_anomaly ON gateway_command (tenant, store, anomaly, seq);

ALTER TABLE gateway_command ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON gateway_command FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
CREATE POLICY tenant_insert ON gateway_command FOR INSERT
        WITH CHECK (tenant IN (SELECT m.tenant FROM tenant_member m
                               WHERE m.role_name = current_user));
CREATE POLICY tenant_update ON gateway_command FOR UPDATE
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user))
        WITH CHECK (tenant IN (SELECT m.tenant FROM tenant_member m
                               WHERE m.role_name = current_user));

-- Tenant roles made before this version get what shelfwatch-hq tenant-role now grants.
DO $$
DECLARE r name;
BEGIN
        FOR r IN SELECT DISTINCT role_name FROM tenant_member LOOP
                EXECUTE format('GRANT SELECT, INSERT, UPDATE ON gateway_command TO %I', r);
                EXECUTE format('GRANT USAGE ON SEQUENCE gateway_command_seq_seq TO %I', r);
        END LOOP;
END $$;

-- GET /anomalies: a tenant's (or a store's) anomalies by their latest arrival, newest first.
CREATE INDEX anomaly_tenant_received ON anomaly (tenant, received_at DESC, store, id);
CREATE INDEX anomaly_store_received ON anomaly (tenant, store, received_at DESC, id);
-- stats, effectiveness, roi: anomalies first detected in a window.
CREATE INDEX anomaly_tenant_detected ON anomaly (tenant, detected_at, store);
-- ghost-stock: open ghost stock by priority (probability x value), the list's order.
CREATE INDEX anomaly_ghost_priority ON anomaly
        (tenant, ((coalesce(probability, 0) * coalesce(value, 0)::float8)) DESC, store, id)
        WHERE status = 'open' AND type = 'ghost_stock';
