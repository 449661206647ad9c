#!/usr/bin/env bash
# hq_api_latency.sh: latency of each shelfwatch-hq serve endpoint over a generated fleet.
#
# Usage: tools/bench/hq_api_latency.sh [BUILD_DIR] [--smoke]
# A private PostgreSQL 15 (initdb as "nobody" when root) is filled with STORES stores x DAYS
# days of alerts (ALERTS a store a day: every type, severity and status; half of the closed
# ones with an outcome), a summary and a status per store, all of one tenant (the worst case:
# a token that sees the whole fleet); shelfwatch-hq serve answers as that tenant's role (row-
# level security on), and curl times REQUESTS sequential requests of each endpoint (after 3 to
# warm up), printing p50 and p99 in ms. --smoke: 20 stores x 10 days, 5 requests.
# Environment: STORES (1000), DAYS (90), ALERTS (6), REQUESTS (50).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build smoke=0
for a in "$@"; do
        case "$a" in
        --smoke) smoke=1 ;;
        *) build=$a ;;
        esac
done
stores=${STORES:-1000} days=${DAYS:-90} alerts=${ALERTS:-6} requests=${REQUESTS:-50}
if ((smoke)); then stores=20 days=10 requests=5; fi
hq=$build/shelfwatch-hq pgbin=/usr/lib/postgresql/15/bin
[[ -x $hq ]] || { echo "hq_api_latency.sh: $hq is missing; build first" >&2; exit 1; }

tmp=$(mktemp -d /tmp/hq-api-bench.XXXXXX)
chmod 711 "$tmp"
mkdir "$tmp/pg"
as_pg=()
if ((EUID == 0)); then chown nobody "$tmp/pg"; as_pg=(runuser -u nobody --); fi
serve_pid=""
cleanup() {
        [[ -z $serve_pid ]] || { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT
port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pgport=$((45000 + RANDOM % 5000))
httpport=$((30000 + RANDOM % 2000))
while port_is_open "$httpport"; do httpport=$((httpport + 1)); done
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/pg.log" -w start -o \
        "-p $pgport -k $tmp/pg -c listen_addresses='' -c fsync=off -c shared_buffers=512MB -c work_mem=32MB" >/dev/null
super="host=$tmp/pg port=$pgport user=postgres dbname=postgres"
psql -qX "$super" -c "CREATE DATABASE shelfwatch" -c "CREATE ROLE shelfwatch_api LOGIN NOINHERIT" >/dev/null
db="host=$tmp/pg port=$pgport user=postgres dbname=shelfwatch"
token=bench-token-$RANDOM$RANDOM
cat >"$tmp/hq.conf" <<CONF
database: { conninfo = "$db"; };
http: { port = $httpport; conninfo = "host=$tmp/pg port=$pgport user=shelfwatch_api dbname=shelfwatch";
        max_limit = 1000; max_offset = 1000000; statement_timeout_ms = 600000; web_root = "$PWD/hq/web"; api_doc = "$PWD/hq/api/openapi.json";
        tokens = ( { name = "bench"; tenant = "fleet"; role = "fleet_reader";
                     sha256 = "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"; } ); };
CONF
"$hq" -c "$tmp/hq.conf" migrate >/dev/null
"$hq" -c "$tmp/hq.conf" tenant-role fleet_reader fleet >/dev/null
psql -qX "$super" -c "GRANT fleet_reader TO shelfwatch_api" >/dev/null

t0=$SECONDS
psql -qX "$db" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO store SELECT 'fleet', 's' || lpad(s::text, 4, '0'), now() - interval '$days days', now()
  FROM generate_series(1, $stores) s;
INSERT INTO anomaly (tenant, store, id, rev, type, severity, status, sku, category, as_of, detected_at,
                     score, probability, value, currency, action, payload, received_at)
SELECT 'fleet', 's' || lpad(s::text, 4, '0'), 's' || s || '-' || d || '-' || k, 1,
       (ARRAY['ghost_stock','ml_detected','shelf_out','inventory_discrepancy'])[1 + (s + d + k) % 4],
       (ARRAY['info','warning','critical'])[1 + (s * 7 + k) % 3],
       CASE WHEN d < 3 THEN 'open' ELSE (ARRAY['open','resolved','dismissed','cleared'])[1 + (s + k * 3 + d) % 4] END,
       'SKU' || ((s * 31 + d * 7 + k) % 5000), 'cat' || ((s + k) % 12), current_date - d,
       now() - make_interval(days => d, secs => k * 600 + s % 600), 3.5,
       ((s * 13 + d * 7 + k) % 100) / 100.0, round((((s * 17 + k * 101 + d) % 5000) / 10.0)::numeric, 2), 'USD',
       'cycle_count', jsonb_build_object('description', 'generated', 'metadata', '{}'::jsonb),
       now() - make_interval(days => d, secs => k * 600)
FROM generate_series(1, $stores) s, generate_series(0, $days - 1) d, generate_series(1, $alerts) k;
INSERT INTO outcome (tenant, store, id, anomaly, outcome, status, source, ts, response_hours,
                     value_recovered, prevented_value, currency, payload, received_at)
SELECT tenant, store, id || '-o1', id,
       CASE WHEN status = 'resolved' THEN 'true_positive' ELSE 'false_positive' END, status, 'command',
       detected_at + interval '5 hours', 5, CASE WHEN status = 'resolved' THEN value ELSE 0 END,
       CASE WHEN status = 'resolved' THEN value / 2 ELSE 0 END, 'USD', '{}'::jsonb, now()
FROM anomaly WHERE status IN ('resolved', 'dismissed') AND (hashtext(id) & 1) = 0;
INSERT INTO store_summary (tenant, store, ts, open_critical, open_warning, open_info, ghost_value,
                           precision, pos_feed, currency, payload, received_at)
SELECT 'fleet', store, now() - interval '5 minutes', 1, 2, 3, 100, 0.5,
       CASE WHEN store LIKE '%7' THEN 'silent' ELSE 'ok' END, 'USD', '{"health":{}}', now() FROM store;
INSERT INTO store_status (tenant, store, state, version, started_at, pos_feed, payload, received_at)
SELECT 'fleet', store, 'online', '0.1.0', now() - interval '1 day', 'ok', '{}', now() FROM store;
ANALYZE;
SQL
rows=$(psql -qXAt "$db" -c "SELECT count(*) FROM anomaly")
outcomes=$(psql -qXAt "$db" -c "SELECT count(*) FROM outcome")
echo "hq_api_latency: $stores stores x $days days: $rows anomalies, $outcomes outcomes (generated in $((SECONDS - t0)) s)"

"$hq" -c "$tmp/hq.conf" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!
for ((i = 0; i < 100; i++)); do port_is_open "$httpport" && break || sleep 0.1; done

# time PATH: REQUESTS timings of GET PATH in ms, sorted.
time_get() {
        local i
        for ((i = 0; i < requests + 3; i++)); do
                curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
                        -H "Authorization: Bearer $token" "http://127.0.0.1:$httpport/api/v1$1"
        done | tail -n "$requests" | awk '$1 != 200 { bad = 1 } { print $2 * 1000 } END { exit bad }' | sort -n
}
printf '%-52s %9s %9s\n' "endpoint (tenant of $stores stores, ${days} days)" "p50 ms" "p99 ms"
for path in "/anomalies" "/anomalies?store=s0042&status=open" "/anomalies?type=ghost_stock&severity=critical&days=7" \
        "/anomalies?limit=100&offset=5000" "/anomalies/stats?days=30" "/anomalies/stats?days=90" \
        "/anomalies/stats?store=s0042" "/anomalies/ghost-stock?limit=50" "/anomalies/ghost-stock?store=s0042" \
        "/outcomes/alerts/effectiveness?days=30" "/outcomes/anomalies/effectiveness?days=30" \
        "/outcomes/roi?days=30" "/outcomes/roi?days=30&store=s0042" "/gateways"; do
        t=$(time_get "$path") || { echo "hq_api_latency: $path did not answer 200" >&2; exit 1; }
        n=$(wc -l <<<"$t")
        p50=$(sed -n "$(((n + 1) / 2))p" <<<"$t")
        p99=$(sed -n "$(((n * 99 + 99) / 100))p" <<<"$t")
        printf '%-52s %9.1f %9.1f\n' "GET $path" "$p50" "$p99"
done
