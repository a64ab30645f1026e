"""The RedisAI backend on this machine: redis-server with the module, the models, the gateway.

    python -m services.redisai serve|start|stop|status
                               [--batchsize N [--minbatchsize M [--minbatchtimeout MS]]]

`serve` runs redis-server and the gateway under supervisord in the foreground (the gateway
deploys a model it finds missing); `start` runs them in the background, deploys every served
model (exporting it first if needed) with the batching options, and waits until the
gateway's /ping is healthy; `stop` stops what `start` started, also after a crash; `status`
says what the supervisor knows. Redis listens on 127.0.0.1 with a password (generated at the
first start into run/redisai/redis.password unless POLYSERVE_REDIS_PASSWORD gives one) and
keeps its data (AOF, RDB) under run/redisai/data. With POLYSERVE_REDIS_CLUSTER_MASTERS=N it is a
Redis Cluster of N masters and N replicas instead (services/redisai/cluster.py).
"""

from __future__ import annotations

import sys

from services.config import Settings
from services.lifecycle import STARTING_ACTIONS, action_parser, run_action
from services.redisai.cluster import local_redis
from services.redisai.server import lifecycle


def main(argv: list[str] | None = None) -> int:
    parser = action_parser("python -m services.redisai", __doc__)
    parser.add_argument("--batchsize", type=int, default=0)
    parser.add_argument("--minbatchsize", type=int, default=0)
    parser.add_argument("--minbatchtimeout", type=int, default=0)
    args = parser.parse_args(argv)
    settings = Settings.load()
    if args.action in STARTING_ACTIONS:
        settings.ensure_redis_password()  # the first start makes it; `status` never does
    options = ("batchsize", "minbatchsize", "minbatchtimeout")
    batching = tuple(f"--{name}={getattr(args, name)}" for name in options)
    return run_action(lifecycle(local_redis(settings), settings, batching), args.action)


if __name__ == "__main__":
    sys.exit(main())
