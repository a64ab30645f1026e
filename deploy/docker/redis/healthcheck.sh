#!/bin/sh
# Healthy when the RedisAI module answers a cheap AI command, authenticated: not merely when
# redis-server accepts connections.
set -eu
reply=$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning -p 6379 \
  AI.CONFIG GET MODEL_CHUNK_SIZE 2>&1) || { echo "$reply"; exit 1; }
case "$reply" in
  ''|*[!0-9]*) echo "unexpected reply: $reply"; exit 1 ;;
esac
echo "AI.CONFIG GET MODEL_CHUNK_SIZE: $reply"
