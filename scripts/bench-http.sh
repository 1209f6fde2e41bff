#!/usr/bin/env bash
# HTTP benchmark: journeyd beside nginx on the same machine, both on loopback,
# both driven by wrk at 64 connections.
#
#   scripts/bench-http.sh [SECONDS]      (default 20 s per run)
#
# journeyd (release build, fresh data folder, scheduler off, no rate limit)
# holds 1,000 hires imported through the API, each with its first day and a
# few items recorded. Two workloads:
#   status   GET  /v1/hires/{random hire}          (replay + projection + JSON)
#   command  POST /v1/hires/{random hire}/events   (introducer hours: replay,
#            decide, one synced append through append_async, answer)
# The peer is nginx (worker_processes 2, access log off) serving a static JSON
# file of the same size as each answer, so the ratio says how close journeyd
# comes to what this machine serves over HTTP at all. The command rate is also
# set against the log's own append_async() rate at 64 appenders
# (journey_append_bench), run after journeyd has stopped. Prints requests/s,
# p50, p99, the ratios and whether each aim is met; BENCHMARKS.md keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"

scripts/install-deps.sh http-bench
cmake --preset release >/dev/null
cmake --build build -j2 --target journeyd journeyctl journey_append_bench >/dev/null

work="$(mktemp -d /tmp/journey-bench-http.XXXXXX)"
jd_pid="" ; ng_pid=""
cleanup() {
  [ -n "$jd_pid" ] && kill "$jd_pid" 2>/dev/null && wait "$jd_pid" 2>/dev/null || true
  [ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port_jd=18080
port_ng=18081
JOURNEY_STORAGE_DATA="$work/data" JOURNEY_SERVER_LISTEN="127.0.0.1:$port_jd" \
  JOURNEY_SCHEDULER_ENABLED=false JOURNEY_LIMITS_REQUESTS_PER_SECOND=0 \
  JOURNEY_LOG_LEVEL=warn build/tools/journeyd/journeyd >"$work/journeyd.log" 2>&1 &
jd_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/data/admin-token" ] && curl -sf "http://127.0.0.1:$port_jd/readyz" >/dev/null && break
  sleep 0.1
done
token="$(cat "$work/data/admin-token")"

# Setup through the API: 1,000 hires, each started with three items done.
/usr/bin/python3 - "$port_jd" "$token" "$work" <<'EOF'
import http.client, json, sys
port, token, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def call(method, path, body, ctype="application/json"):
    c.request(method, path, body=body.encode() if isinstance(body, str) else json.dumps(body).encode(),
              headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    r = c.getresponse(); data = r.read()
    assert r.status < 300, (path, r.status, data)
    return json.loads(data)
for u in range(10):
    call("PUT", f"/v1/units/Enhet%20{u}",
         {"unit_head": {"name": f"Chef {u}", "email": f"chef{u}@example.se"},
          "administrator": {"name": f"Admin {u}", "email": f"admin{u}@example.se"}})
csv = "name,email,unit,start,introducer,introducer_email\n" + "".join(
    f"Bench {i},bench{i}@example.se,Enhet {i % 10},2026-09-01,Intro {i % 50},intro{i % 50}@example.se\n"
    for i in range(1000))
rep = call("POST", "/v1/imports", csv, "text/csv")
hires = [r["hire"] for r in rep["rows"] if r["outcome"] == "registered"]
assert len(hires) == 1000, [r["message"] for r in rep["rows"] if r["outcome"] != "registered"][:3]
c.request("GET", "/v1/programmes/gr-forsta-aren/versions/1", headers={"Authorization": "Bearer " + token})
prog = json.loads(c.getresponse().read())
items = [i["id"] for i in prog["items"] if i["part"] == "preparation"][:3]
for h in hires:
    call("POST", f"/v1/hires/{h}/events", {"kind": "started", "on": "2026-09-01"})
    for it in items:
        call("POST", f"/v1/hires/{h}/events", {"kind": "item", "item": it, "on": "2026-08-25"})
open(f"{work}/hires.txt", "w").write("\n".join(hires) + "\n")
c.request("GET", f"/v1/hires/{hires[0]}", headers={"Authorization": "Bearer " + token})
open(f"{work}/status.json", "wb").write(c.getresponse().read())
body = call("POST", f"/v1/hires/{hires[0]}/events", {"kind": "hours", "hours": 1, "week": "2026-11-16"})
open(f"{work}/command.json", "w").write(json.dumps(body))
EOF

mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"   # nginx's workers run as www-data
cp "$work/status.json" "$work/www/status.json"
cp "$work/command.json" "$work/www/command.json"
chmod 644 "$work/www/"*.json
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port_ng;
    root $work/www;
    # wrk's command run POSTs; serve the static answer for POST too.
    error_page 405 =200 \$uri;
  }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
ng_pid=$!
sleep 0.5

cat >"$work/status.lua" <<'EOF'
local hires = {}
for line in io.lines(os.getenv("HIRES")) do hires[#hires + 1] = line end
local auth = "Bearer " .. os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/hires/" .. hires[math.random(#hires)], {["Authorization"] = auth})
end
EOF
cat >"$work/command.lua" <<'EOF'
local hires = {}
for line in io.lines(os.getenv("HIRES")) do hires[#hires + 1] = line end
local auth = "Bearer " .. os.getenv("TOKEN")
local body = '{"kind":"hours","hours":1,"week":"2026-11-16"}'
math.randomseed(os.time())
request = function()
  return wrk.format("POST", "/v1/hires/" .. hires[math.random(#hires)] .. "/events",
                    {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
end
EOF
cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"kind":"hours","hours":1,"week":"2026-11-16"}'
wrk.headers["Content-Type"] = "application/json"
EOF

run() {  # name, wrk args...
  local name="$1"; shift
  HIRES="$work/hires.txt" TOKEN="$token" wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency "$@" \
    >"$work/$name.txt" 2>&1
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.txt")
  printf '%-18s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  echo "$rps" >"$work/$name.rps"
}

echo "journeyd vs nginx, wrk -t2 -c64 -d${SECONDS_PER_RUN}s, $(nproc) cores"
echo "status answer $(stat -c %s "$work/status.json") bytes, command answer $(stat -c %s "$work/command.json") bytes"
run journeyd-status -s "$work/status.lua" "http://127.0.0.1:$port_jd"
run nginx-status "http://127.0.0.1:$port_ng/status.json"
run journeyd-command -s "$work/command.lua" "http://127.0.0.1:$port_jd"
run nginx-command -s "$work/post.lua" "http://127.0.0.1:$port_ng/command.json"
curl -s "http://127.0.0.1:$port_jd/metrics" | grep -E '^journey_log_(appends|wal_syncs)_total' || true
kill "$jd_pid" 2>/dev/null && wait "$jd_pid" 2>/dev/null || true
jd_pid=""

# The log's own rate, same machine, same run: 64 appenders each keeping one
# append_async() in flight (tools/bench/append_bench.cc), no HTTP, no decision.
build/tools/bench/journey_append_bench --modes async --concurrency 64 \
  --seconds "$SECONDS_PER_RUN" --warmup 2 --settle 1 --data "$work/append" >"$work/append.txt" 2>&1
append_rps=$(awk '/^RESULT concurrency=64 rocks-async=/ {sub(/.*rocks-async=/, ""); sub(/\/s.*/, ""); print}' \
  "$work/append.txt")
printf '%-18s %10s appends/s (journey_append_bench --modes async --concurrency 64)\n' \
  "log-append-async" "$append_rps"

echo
awk -v a="$(cat "$work/journeyd-status.rps")" -v b="$(cat "$work/nginx-status.rps")" \
  'BEGIN {r = a / b; printf "status:  journeyd/nginx = %.3f   AIM >= 0.5: %s\n", r, (r >= 0.5 ? "MET" : "NOT MET")}'
awk -v a="$(cat "$work/journeyd-command.rps")" -v b="$(cat "$work/nginx-command.rps")" \
  'BEGIN {printf "command: journeyd/nginx = %.3f\n", a / b}'
awk -v a="$(cat "$work/journeyd-command.rps")" -v b="$append_rps" \
  'BEGIN {r = a / b; printf "command: journeyd/log append_async at 64 = %.3f   AIM >= 0.3: %s\n", r, (r >= 0.3 ? "MET" : "NOT MET")}'
