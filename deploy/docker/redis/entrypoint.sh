#!/bin/sh
# redis-server with the RedisAI module, as services/redisai/server.py starts it locally, but
# listening on the container's network (the compose file publishes no Redis port) with a
# password, and with AOF (plus RDB snapshots) in /data, a named volume.
#
#   REDIS_PASSWORD              required; letters, digits, '.', '_' and '-' only (it also goes
#                               into the gateway's redis:// URL)
#   POLYSERVE_REDISAI_THREADS   THREADS_PER_QUEUE (default 1)
#   POLYSERVE_REDISAI_INTRA_OP  INTRA_OP_PARALLELISM (default 1)
#   REDIS_MAXMEMORY             maxmemory (default 0: no limit but the container's)
set -eu
case "${REDIS_PASSWORD:-}" in
  "") echo "redis: REDIS_PASSWORD is not set (see .env.example)" >&2; exit 1 ;;
  change-me) echo "redis: REDIS_PASSWORD is still the placeholder change-me: set your own" >&2; exit 1 ;;
  *[!A-Za-z0-9._-]*) echo "redis: REDIS_PASSWORD may hold only A-Z a-z 0-9 . _ -" >&2; exit 1 ;;
esac
# The password goes in through the configuration read from stdin, not the command line.
exec redis-server - \
  --port 6379 \
  --bind 0.0.0.0 \
  --protected-mode yes \
  --dir /data \
  --dbfilename dump.rdb \
  --appendonly yes \
  --appendfsync everysec \
  --maxmemory "${REDIS_MAXMEMORY:-0}" \
  --daemonize no \
  --loadmodule /usr/local/lib/polyserve/redisai.so \
    THREADS_PER_QUEUE "${POLYSERVE_REDISAI_THREADS:-1}" \
    INTRA_OP_PARALLELISM "${POLYSERVE_REDISAI_INTRA_OP:-1}" \
    INTER_OP_PARALLELISM 1 <<CONFIG
requirepass $REDIS_PASSWORD
CONFIG
