/* The SQL of one batch: each row statement takes $1, a JSON array of one kind's rows
 * (hq_message.c's row objects plus "o", their index in the batch), only those hq_collapse.c sends
 * (one per key but for statuses), in key order, so two instances take their row locks in the same
 * order. It returns one row per message sent: o, the rev now stored (anomalies; 1 for outcomes, 0
 * otherwise), and whether the message's row was written. */
#ifndef HQ_WRITE_SQL_H
#define HQ_WRITE_SQL_H

// clang-format off
#define HQ_SQL_ROWS                                                                                \
        "m AS (SELECT (e->>'o')::int AS o, e->>'tenant' AS tenant, e->>'store' AS store, "         \
        "e->>'id' AS id, e, e->'payload' AS p FROM jsonb_array_elements($1::jsonb) AS e)"

#define HQ_SQL_TIME(field) "to_timestamp((e->>'" field "')::float8)"

/* Highest rev wins; a v1 row (rev 0) replaces only another v1 row; an older rev changes
 * nothing. The final SELECT reads the pre-statement snapshot for rows not written. */
static const char hq_sql_anomaly[] =
    "WITH " HQ_SQL_ROWS ", "
    "up AS (INSERT INTO anomaly AS a (tenant, store, id, rev, updated_at, type, severity, status, "
    "        sku, category, as_of, detected_at, score, probability, value, currency, action, "
    "        payload, received_at) "
    "      SELECT tenant, store, id, (e->>'rev')::bigint, " HQ_SQL_TIME("updated_at") ", "
    "        p->>'type', p->>'severity', p->>'status', p->>'sku', p->>'category', "
    "        (e->>'as_of')::date, " HQ_SQL_TIME("detected_at") ", (p->>'score')::float8, "
    "        (p->>'probability')::float8, (p->>'value')::numeric, p->>'currency', "
    "        p->>'action', p, now() FROM m ORDER BY tenant, store, id "
    "      ON CONFLICT (tenant, store, id) DO UPDATE SET rev = excluded.rev, "
    "        updated_at = excluded.updated_at, type = excluded.type, "
    "        severity = excluded.severity, status = excluded.status, sku = excluded.sku, "
    "        category = excluded.category, as_of = excluded.as_of, "
    "        detected_at = excluded.detected_at, score = excluded.score, "
    "        probability = excluded.probability, value = excluded.value, "
    "        currency = excluded.currency, action = excluded.action, "
    "        payload = excluded.payload, received_at = excluded.received_at "
    "      WHERE a.rev < excluded.rev OR (a.rev = 0 AND excluded.rev = 0) "
    "      RETURNING a.tenant, a.store, a.id, a.rev) "
    "SELECT m.o, coalesce(up.rev, old.rev, (m.e->>'rev')::bigint), up.id IS NOT NULL "
    "FROM m LEFT JOIN up USING (tenant, store, id) "
    "LEFT JOIN anomaly old USING (tenant, store, id)";

/* Inserted once; a later copy of an id changes nothing. */
static const char hq_sql_outcome[] =
    "WITH " HQ_SQL_ROWS ", "
    "ins AS (INSERT INTO outcome (tenant, store, id, anomaly, sku, type, outcome, status, action, "
    "        source, ts, response_hours, adjustment, value_recovered, prevented_value, currency, "
    "        payload, received_at) "
    "      SELECT tenant, store, id, p->>'anomaly', p->>'sku', p->>'type', p->>'outcome', "
    "        p->>'status', p->>'action', p->>'source', " HQ_SQL_TIME("ts") ", "
    "        (p->>'response_hours')::float8, (p->>'adjustment')::numeric::int, "
    "        (p->>'value_recovered')::numeric, (p->>'prevented_value')::numeric, "
    "        p->>'currency', p, now() FROM m ORDER BY tenant, store, id "
    "      ON CONFLICT (tenant, store, id) DO NOTHING RETURNING tenant, store, id) "
    "SELECT m.o, 1, ins.id IS NOT NULL FROM m LEFT JOIN ins USING (tenant, store, id)";

/* The newest summary per store by its ts; an older or equal one changes nothing. */
static const char hq_sql_summary[] =
    "WITH " HQ_SQL_ROWS ", "
    "up AS (INSERT INTO store_summary AS s (tenant, store, ts, open_critical, open_warning, "
    "        open_info, ghost_value, precision, pos_feed, last_pos_at, currency, payload, "
    "        received_at) "
    "      SELECT tenant, store, " HQ_SQL_TIME("ts") ", (p->'open'->>'critical')::numeric::int, "
    "        (p->'open'->>'warning')::numeric::int, (p->'open'->>'info')::numeric::int, "
    "        (p->>'ghost_value')::numeric, (p->>'precision')::float8, p->'health'->>'pos_feed', "
    "        " HQ_SQL_TIME("last_pos_at") ", p->>'currency', p, now() "
    "      FROM m ORDER BY tenant, store "
    "      ON CONFLICT (tenant, store) DO UPDATE SET ts = excluded.ts, "
    "        open_critical = excluded.open_critical, open_warning = excluded.open_warning, "
    "        open_info = excluded.open_info, ghost_value = excluded.ghost_value, "
    "        precision = excluded.precision, pos_feed = excluded.pos_feed, "
    "        last_pos_at = excluded.last_pos_at, currency = excluded.currency, "
    "        payload = excluded.payload, received_at = excluded.received_at "
    "      WHERE s.ts < excluded.ts RETURNING s.tenant, s.store) "
    "SELECT m.o, 0, up.store IS NOT NULL FROM m LEFT JOIN up USING (tenant, store)";

/* Every status of the batch, in arrival order; "latest" marks the one per store that
 * hq_collapse.c folded last. A history row for each change of state or started_at (a restart),
 * against the previous message or, for the first, the stored row. store_status takes the latest
 * unless it is older than the stored one (hq_status_replaces(): an earlier started_at, or the
 * same and an earlier ts). */
static const char hq_sql_status[] =
    "WITH " HQ_SQL_ROWS ", "
    "h AS (SELECT m.*, p->>'state' AS state, " HQ_SQL_TIME("started_at") " AS started, "
    "        " HQ_SQL_TIME("ts") " AS ts, (e->>'latest')::bool AS latest, "
    "        row_number() OVER s = 1 AS first, lag(p->>'state') OVER s AS prev_state, "
    "        lag(" HQ_SQL_TIME("started_at") ") OVER s AS prev_started FROM m "
    "      WINDOW s AS (PARTITION BY tenant, store ORDER BY o)), "
    "hist AS (INSERT INTO status_history (tenant, store, state, version, started_at, pos_feed, "
    "        ts, payload, received_at) "
    "      SELECT h.tenant, h.store, h.state, h.p->>'version', h.started, h.p->>'pos_feed', "
    "        h.ts, h.p, now() FROM h LEFT JOIN store_status cur USING (tenant, store) "
    "      WHERE (h.first AND (cur.state IS DISTINCT FROM h.state OR "
    "             cur.started_at IS DISTINCT FROM h.started)) OR (NOT h.first AND "
    "             (h.prev_state IS DISTINCT FROM h.state OR h.prev_started IS DISTINCT FROM "
    "              h.started)) ORDER BY h.o RETURNING 1), "
    "up AS (INSERT INTO store_status AS s (tenant, store, state, version, started_at, pos_feed, "
    "        ts, payload, received_at) "
    "      SELECT tenant, store, state, p->>'version', started, p->>'pos_feed', ts, p, now() "
    "      FROM h WHERE latest ORDER BY tenant, store "
    "      ON CONFLICT (tenant, store) DO UPDATE SET state = excluded.state, "
    "        version = excluded.version, started_at = excluded.started_at, "
    "        pos_feed = excluded.pos_feed, ts = excluded.ts, payload = excluded.payload, "
    "        received_at = excluded.received_at "
    "      WHERE NOT coalesce(excluded.started_at < s.started_at, false) "
    "        AND NOT coalesce(excluded.started_at IS NOT DISTINCT FROM s.started_at "
    "                         AND excluded.ts < s.ts, false) "
    "      RETURNING s.tenant, s.store) "
    "SELECT h.o, 0, (up.store IS NOT NULL AND h.latest) FROM h LEFT JOIN up USING (tenant, store)";

/* Every store of the batch was heard from now: [{"tenant","store"}...], distinct, sorted. The
 * time is kept to the second: refreshed only when a second older, so that a busy store's row
 * is not rewritten by every batch (a skipped refresh still locks the row, in key order). */
static const char hq_sql_seen[] =
    "INSERT INTO store AS s (tenant, store, first_seen, last_message_at) "
    "SELECT e->>'tenant', e->>'store', now(), now() FROM jsonb_array_elements($1::jsonb) AS e "
    "ORDER BY 1, 2 "
    "ON CONFLICT (tenant, store) DO UPDATE SET last_message_at = excluded.last_message_at "
    "WHERE s.last_message_at < excluded.last_message_at - interval '1 second'";

static const char hq_sql_counters[] =
    "INSERT INTO ingest_instance (client_id, started_at, updated_at, counters) "
    "VALUES ($1, to_timestamp($2::float8), now(), $3::jsonb) "
    "ON CONFLICT (client_id) DO UPDATE SET started_at = excluded.started_at, "
    "updated_at = excluded.updated_at, counters = excluded.counters";
// clang-format on

#endif
