#!/bin/sh
# Forms the Redis Cluster of the nodes named, `HOST:PORT...` (masters first, then as many
# replicas: one per master), once each answers: `redis-cli --cluster create`. Idempotent: when
# the first node already belongs to a cluster (cluster_state:ok, or it knows other nodes) it
# does nothing, so a second run, or a retry after a partial one, never re-creates it. The
# compose profile `cluster` and the Kubernetes cluster overlay both run it. REDIS_PASSWORD:
# the nodes' password.
set -eu
export REDISCLI_AUTH="$REDIS_PASSWORD"
ask() {
  node=$1
  shift
  redis-cli --no-auth-warning -h "${node%:*}" -p "${node##*:}" "$@"
}
for node in "$@"; do
  until [ "$(ask "$node" PING 2>/dev/null)" = PONG ]; do
    echo "waiting for $node"
    sleep 2
  done
done
info=$(ask "$1" CLUSTER INFO | tr -d '\r')
state=$(printf '%s\n' "$info" | sed -n 's/^cluster_state://p')
known=$(printf '%s\n' "$info" | sed -n 's/^cluster_known_nodes://p')
if [ "$state" = ok ] || [ "${known:-0}" -gt 1 ]; then
  echo "$1 is in a cluster already (cluster_state:$state, $known nodes): nothing to do"
  exit 0
fi
echo "creating the cluster: $*"
redis-cli --no-auth-warning --cluster create "$@" --cluster-replicas 1 --cluster-yes
