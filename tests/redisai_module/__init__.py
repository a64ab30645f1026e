"""Tests of the RedisAI-protocol Redis module (services/redisai/module)."""
