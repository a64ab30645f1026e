#!/bin/sh
# Healthy when the RedisAI module answers a cheap AI command, authenticated: not merely when
# redis-server accepts connections. AI._MODELSCAN because it is read-only: a Redis Cluster
# replica answers it too (it refuses AI.CONFIG, a write). --no-raw marks an error reply
# "(error)" (redis-cli exits 0 on one).
set -eu
reply=$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning --no-raw -p 6379 \
  AI._MODELSCAN 2>&1) || { echo "$reply"; exit 1; }
case "$reply" in
  *"(error)"*) echo "$reply"; exit 1 ;;
esac
echo "AI._MODELSCAN answered"
