#!/bin/sh
# redis-server with the RedisAI module, as services/redisai/server.py starts it locally, but
# listening on the container's network (the compose file publishes no Redis port) with a
# password, and with AOF (plus RDB snapshots) in /data, a named volume.
#
#   REDIS_PASSWORD              required; letters, digits, '.', '_' and '-' only (it also goes
#                               into the gateway's redis:// URL)
#   POLYSERVE_REDISAI_THREADS   THREADS_PER_QUEUE (default 1)
#   POLYSERVE_REDISAI_INTRA_OP  INTRA_OP_PARALLELISM (default 1)
#   POLYSERVE_TORCH_ONEDNN      TORCH_ONEDNN: 1 lets torch use oneDNN (default 0, as locally)
#   REDIS_MAXMEMORY             maxmemory (default 0: no limit but the container's)
#   REDIS_CLUSTER               yes: a node of a Redis Cluster (its nodes.conf in /data, the
#                               cluster bus on 16379), as services/redisai/cluster.py runs them
#   REDIS_ANNOUNCE_HOSTNAME     with REDIS_CLUSTER: the name clients and the other nodes reach
#                               this one by (default: the container's hostname)
#   REDIS_CLUSTER_NODE_TIMEOUT  with REDIS_CLUSTER: ms before a silent master is failed over
#                               (default 5000)
set -eu
case "${REDIS_PASSWORD:-}" in
  "") echo "redis: REDIS_PASSWORD is not set (see .env.example)" >&2; exit 1 ;;
  change-me) echo "redis: REDIS_PASSWORD is still the placeholder change-me: set your own" >&2; exit 1 ;;
  *[!A-Za-z0-9._-]*) echo "redis: REDIS_PASSWORD may hold only A-Z a-z 0-9 . _ -" >&2; exit 1 ;;
esac
cluster=""
if [ "${REDIS_CLUSTER:-no}" = yes ]; then
  # Every master holds every model, so the others serve on while one's slots wait for its
  # replica's promotion (cluster-require-full-coverage no).
  cluster="cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout ${REDIS_CLUSTER_NODE_TIMEOUT:-5000}
cluster-require-full-coverage no
cluster-announce-hostname ${REDIS_ANNOUNCE_HOSTNAME:-$(hostname)}
cluster-preferred-endpoint-type hostname
masterauth $REDIS_PASSWORD"
fi
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
    INTER_OP_PARALLELISM 1 \
    TORCH_ONEDNN "${POLYSERVE_TORCH_ONEDNN:-0}" <<CONFIG
requirepass $REDIS_PASSWORD
$cluster
CONFIG
