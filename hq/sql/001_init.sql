-- 001_init.sql: shelfwatch-hq schema version 1: what the gateways send, per tenant, with RLS.
--
-- Every row carries its tenant. Tables are owned by the ingest role (the one that runs the
-- migrations), which bypasses row-level security; every other role sees only the tenants
-- listed for it in tenant_member (shelfwatch-hq tenant-role ROLE TENANT adds one).

-- Which database roles may read which tenant's rows.
CREATE TABLE tenant_member (
        role_name name NOT NULL,         -- a database role (current_user when it reads)
        tenant    text NOT NULL,         -- a tenant it may read
        PRIMARY KEY (role_name, tenant)
);

-- One row per store ever heard from: when, for the offline check.
CREATE TABLE store (
        tenant          text NOT NULL,
        store           text NOT NULL,
        first_seen      timestamptz NOT NULL,
        last_message_at timestamptz NOT NULL, -- newest message of any kind received
        PRIMARY KEY (tenant, store)
);

-- The latest revision of every anomaly (P/anomaly), upserted by (tenant, store, id).
CREATE TABLE anomaly (
        tenant      text NOT NULL,
        store       text NOT NULL,
        id          text NOT NULL,
        rev         integer NOT NULL,      -- v1.1 rev; 0 for a v1 message without one
        updated_at  timestamptz,           -- v1.1 updated_at
        type        text NOT NULL,
        severity    text NOT NULL,
        status      text NOT NULL,
        sku         text NOT NULL,
        category    text,
        as_of       date,
        detected_at timestamptz NOT NULL,
        score       double precision,
        probability double precision,
        value       numeric,               -- money at stake, in currency
        currency    text,                  -- ISO 4217 (v1.1); NULL from a v1 gateway
        action      text,
        payload     jsonb NOT NULL,        -- the message as received
        received_at timestamptz NOT NULL,  -- when the batch that stored this rev committed
        PRIMARY KEY (tenant, store, id)
);
CREATE INDEX anomaly_open ON anomaly (tenant, store, type) WHERE status = 'open';
CREATE INDEX anomaly_detected ON anomaly (detected_at, tenant, store);

-- Every outcome (P/outcome), inserted once by (tenant, store, id).
CREATE TABLE outcome (
        tenant          text NOT NULL,
        store           text NOT NULL,
        id              text NOT NULL,
        anomaly         text NOT NULL,     -- the anomaly's id (same tenant and store)
        sku             text,
        type            text,
        outcome         text NOT NULL,     -- true_positive / false_positive
        status          text,              -- the anomaly's status after it
        action          text,
        source          text,
        ts              timestamptz NOT NULL,
        response_hours  double precision,
        adjustment      integer,
        value_recovered numeric,
        prevented_value numeric,
        currency        text,
        payload         jsonb NOT NULL,
        received_at     timestamptz NOT NULL,
        PRIMARY KEY (tenant, store, id)
);
CREATE INDEX outcome_anomaly ON outcome (tenant, store, anomaly, ts);

-- The newest P/summary of each store (by its ts).
CREATE TABLE store_summary (
        tenant        text NOT NULL,
        store         text NOT NULL,
        ts            timestamptz NOT NULL,
        open_critical integer,
        open_warning  integer,
        open_info     integer,
        ghost_value   numeric,
        precision     double precision,
        pos_feed      text,                -- health.pos_feed: ok / silent / off
        last_pos_at   timestamptz,         -- health.last_pos_at
        currency      text,
        payload       jsonb NOT NULL,
        received_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant, store)
);

-- The latest P/status of each store (by arrival: status carries no time of its own).
CREATE TABLE store_status (
        tenant      text NOT NULL,
        store       text NOT NULL,
        state       text NOT NULL,         -- online / offline
        version     text,
        started_at  timestamptz,
        pos_feed    text,
        payload     jsonb NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, store)
);

-- Each change of a store's status: a new state, or a new started_at (a restart).
CREATE TABLE status_history (
        seq         bigserial PRIMARY KEY,
        tenant      text NOT NULL,
        store       text NOT NULL,
        state       text NOT NULL,
        version     text,
        started_at  timestamptz,
        pos_feed    text,
        payload     jsonb NOT NULL,
        received_at timestamptz NOT NULL
);
CREATE INDEX status_history_store ON status_history (tenant, store, seq);

-- What each ingest instance counted; written in every batch's transaction. No tenant data.
CREATE TABLE ingest_instance (
        client_id  text PRIMARY KEY,       -- the instance's MQTT client id
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        counters   jsonb NOT NULL
);

-- Row-level security: a role reads the tenants tenant_member lists for it (current_user, so
-- SET ROLE works too), nothing else. The owner (the ingest role) is not subject to it.
ALTER TABLE tenant_member ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_memberships ON tenant_member FOR SELECT USING (role_name = current_user);
ALTER TABLE store ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON store FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
ALTER TABLE anomaly ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON anomaly FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
ALTER TABLE outcome ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON outcome FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
ALTER TABLE store_summary ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON store_summary FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
ALTER TABLE store_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON store_status FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
ALTER TABLE status_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON status_history FOR SELECT
        USING (tenant IN (SELECT m.tenant FROM tenant_member m WHERE m.role_name = current_user));
