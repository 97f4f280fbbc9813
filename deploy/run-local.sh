#!/usr/bin/env bash
# N Budget Pay processes (Daphne) on consecutive ports, behind a local nginx, sharing
# PostgreSQL and Redis, as production runs them (docs/deployment.md). Ctrl-C stops them all.
#
#   deploy/run-local.sh [N]          or   make multi PROCESSES=N
#
# Environment (all optional):
#   PROCESSES=2             Daphne processes (the argument wins)
#   WORKERS=1               Celery worker processes (outside deliveries, imports, daily jobs)
#   WORKER_CONCURRENCY=8    threads per worker (deliveries wait on the network, not the CPU)
#   BASE_PORT=8001          the first one's port; the others follow
#   PROXY_PORT=8080         nginx's port
#   NGINX=auto              auto: use nginx, installing it with apt-get when missing (as root);
#                           yes: the same, but fail without it; no: the processes alone
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/budgetpay   created if missing
#   REDIS_URL=redis://127.0.0.1:6379/0     the channel layer every process shares
#   CELERY_BROKER_URL=redis://127.0.0.1:6379/2   the job queue (workers and beat)
#   CACHE_URL=redis://127.0.0.1:6379/1     throttle counters, shared too
#   SECRET_KEY              random for this run unless set
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PROCESSES=${1:-${PROCESSES:-2}}
WORKERS=${WORKERS:-1}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-8}
BASE_PORT=${BASE_PORT:-8001}
PROXY_PORT=${PROXY_PORT:-8080}
NGINX=${NGINX:-auto}
PY=$ROOT/.venv/bin/python
if [ ! -x "$PY" ]; then
  echo "run-local: no .venv; run 'make multi' (it installs first)" >&2
  exit 1
fi
case "$PROCESSES" in ''|*[!0-9]*|0) echo "run-local: N must be a whole number >= 1" >&2; exit 1;; esac
case "$WORKERS" in ''|*[!0-9]*|0) echo "run-local: WORKERS must be a whole number >= 1" >&2; exit 1;; esac

export DEBUG=false
export SECRET_KEY=${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_COOKIES=${SECURE_COOKIES:-false}   # plain HTTP on this machine
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/budgetpay}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export CACHE_URL=${CACHE_URL:-redis://127.0.0.1:6379/1}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/2}
export PYTHONUNBUFFERED=1

RUN_DIR=$(mktemp -d /tmp/budgetpay-multi.XXXXXX)
PIDS=()
JOB_PIDS=()
NGINX_PID=""

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run-local: stopping $((${#PIDS[@]} + ${#JOB_PIDS[@]})) process(es)${NGINX_PID:+ and nginx}"
  if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}" "${JOB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" "${JOB_PIDS[@]}" $NGINX_PID; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  echo "run-local: stopped; logs in $RUN_DIR"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# PostgreSQL and Redis must answer; the database is created when missing.
"$PY" - <<'PYTHON'
import os, sys
import environ, psycopg, redis
config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
if config["ENGINE"] != "django.db.backends.postgresql":
    sys.exit("run-local: DATABASE_URL must name PostgreSQL: processes share it")
params = dict(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432, user=config["USER"],
              password=config["PASSWORD"] or None, connect_timeout=3)
try:
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
            print(f"run-local: created database {config['NAME']}")
except psycopg.Error as error:
    sys.exit(f"run-local: PostgreSQL is not reachable ({error}); start it or set DATABASE_URL")
for name in ("REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"):
    try:
        redis.Redis.from_url(os.environ[name], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        sys.exit(f"run-local: Redis at {os.environ[name]} is not reachable ({error}); start it or set {name}")
PYTHON

"$PY" manage.py migrate --noinput >"$RUN_DIR/migrate.log" 2>&1 || { cat "$RUN_DIR/migrate.log" >&2; exit 1; }

if [ "$NGINX" != "no" ] && ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-local: installing nginx with apt-get"
    # RUNLEVEL=1: install the package without starting the system's own nginx on port 80.
    RUNLEVEL=1 apt-get install -y -q nginx >"$RUN_DIR/apt.log" 2>&1 \
      || { apt-get update -q >>"$RUN_DIR/apt.log" 2>&1 && RUNLEVEL=1 apt-get install -y -q nginx >>"$RUN_DIR/apt.log" 2>&1; } \
      || echo "run-local: could not install nginx (see $RUN_DIR/apt.log)" >&2
  fi
fi
if [ "$NGINX" != "no" ] && command -v nginx >/dev/null 2>&1; then USE_NGINX=yes; else USE_NGINX=no; fi
if [ "$NGINX" = "yes" ] && [ "$USE_NGINX" = no ]; then
  echo "run-local: nginx is not installed and could not be installed (NGINX=yes)" >&2
  exit 1
fi
# The client's address (budgetpay/client_ip.py): behind nginx, the X-Forwarded-For entry
# nginx appended; without it, the peer address and no forwarded header at all.
if [ "$USE_NGINX" = yes ]; then export TRUSTED_PROXY_COUNT=1; else export TRUSTED_PROXY_COUNT=0; fi

# File descriptors for thousands of sockets (children inherit the limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((BASE_PORT + i))
  # No --proxy-headers: it trusts the leftmost X-Forwarded-For entry, the client's own.
  "$PY" -m daphne -v 0 -e "tcp:port=$port:interface=127.0.0.1:backlog=1024" \
    budgetpay.asgi:application >"$RUN_DIR/daphne-$port.log" 2>&1 &
  PIDS+=($!)
done

# The job engine: workers take deliveries, imports and the daily fan-out from the broker;
# one beat rings the schedules (the delivery sweeper every DELIVERY_SWEEP_SECONDS).
for i in $(seq 1 "$WORKERS"); do
  "$PY" -m celery -A budgetpay.celery worker --pool threads --concurrency "$WORKER_CONCURRENCY" \
    --hostname "worker$i@%h" --without-gossip --without-mingle --loglevel INFO \
    >"$RUN_DIR/worker-$i.log" 2>&1 &
  JOB_PIDS+=($!)
done
"$PY" -m celery -A budgetpay.celery beat --loglevel INFO --pidfile "$RUN_DIR/beat.pid" \
  >"$RUN_DIR/beat.log" 2>&1 &
JOB_PIDS+=($!)

healthy() {  # healthy URL: 200 from /health
  "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" >/dev/null 2>&1
}
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((BASE_PORT + i))
  for attempt in $(seq 1 150); do
    healthy "http://127.0.0.1:$port/health" && break
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null || [ "$attempt" = 150 ]; then
      echo "run-local: Daphne on port $port did not come up:" >&2
      tail -n 30 "$RUN_DIR/daphne-$port.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done

if [ "$USE_NGINX" = yes ]; then
  mkdir -p "$RUN_DIR/nginx"
  {
    echo "worker_processes 1;"
    echo "worker_rlimit_nofile 65536;"
    echo "pid $RUN_DIR/nginx/nginx.pid;"
    echo "error_log $RUN_DIR/nginx/error.log warn;"
    echo "events { worker_connections 32768; }"
    echo "http {"
    for dir in client_body proxy fastcgi uwsgi scgi; do echo "  ${dir}_temp_path $RUN_DIR/nginx/$dir;"; done
    echo "  include $ROOT/deploy/nginx/budgetpay-http.conf;"
    echo "  access_log $RUN_DIR/nginx/access.log budgetpay;   # never the socket's ?token="
    echo "  upstream budgetpay {"
    echo "    least_conn;"
    for i in $(seq 0 $((PROCESSES - 1))); do echo "    server 127.0.0.1:$((BASE_PORT + i));"; done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$PROXY_PORT;"
    echo "    include $ROOT/deploy/nginx/budgetpay-locations.conf;"
    echo "  }"
    echo "}"
  } >"$RUN_DIR/nginx/nginx.conf"
  nginx -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -g "daemon off;" 2>>"$RUN_DIR/nginx/error.log" &
  NGINX_PID=$!
  for attempt in $(seq 1 50); do
    healthy "http://127.0.0.1:$PROXY_PORT/health" && break
    if ! kill -0 "$NGINX_PID" 2>/dev/null || [ "$attempt" = 50 ]; then
      echo "run-local: nginx did not come up:" >&2
      cat "$RUN_DIR/nginx/error.log" >&2
      exit 1
    fi
    sleep 0.2
  done
fi

echo
echo "Budget Pay: $PROCESSES Daphne process(es) sharing $DATABASE_URL and $REDIS_URL"
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((BASE_PORT + i))
  echo "  process $((i + 1)): http://127.0.0.1:$port   pid ${PIDS[$i]}   log $RUN_DIR/daphne-$port.log"
done
if [ -n "$NGINX_PID" ]; then
  echo "  nginx:     http://127.0.0.1:$PROXY_PORT   pid $NGINX_PID   (least_conn over the processes)"
  echo "  sockets:   ws://127.0.0.1:$PROXY_PORT/api/v1/notification/ws?token=<access JWT>"
else
  echo "  nginx:     not used (NGINX=$NGINX); talk to the processes directly"
fi
for i in $(seq 1 "$WORKERS"); do
  echo "  worker $i:  pid ${JOB_PIDS[$((i - 1))]}   log $RUN_DIR/worker-$i.log   ($WORKER_CONCURRENCY threads)"
done
echo "  beat:      pid ${JOB_PIDS[$WORKERS]}   log $RUN_DIR/beat.log   (schedules: admin > Periodic tasks)"
echo "Ctrl-C stops them all."

# Until Ctrl-C, or until one of them exits on its own.
set +e
wait -n "${PIDS[@]}" "${JOB_PIDS[@]}" $NGINX_PID
echo "run-local: a process exited on its own; see $RUN_DIR" >&2
exit 1
