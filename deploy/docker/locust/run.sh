#!/bin/sh
# Headless Locust (loadtest/locustfile.py) against each backend of the stack in turn, for each
# served model, under the same settings; CSVs in /srv/polyserve/results/<name>-<model>_*.csv.
# Exits non-zero when any run has a failure (a wrong answer counts as one).
#
#   POLYSERVE_LOCUST_TARGETS  "name=url ..." (default: the three backends of the compose file)
#   POLYSERVE_SCENARIO        single|batch|mix (default single)
#   POLYSERVE_MODELS          the models asked (default: every served model)
#   LOCUST_USERS, LOCUST_SPAWN_RATE, LOCUST_RUN_TIME   (default 10 users, 10/s, 30s)
set -eu
targets=${POLYSERVE_LOCUST_TARGETS:-"flask=http://flask:5000 mms=http://mms:8080 redisai=http://gateway:8000"}
models=$(python -c 'from models import registry; print(" ".join(registry.served_names()))')
results=/srv/polyserve/results
status=0
for target in $targets; do
  name=${target%%=*}
  url=${target#*=}
  for model in $models; do
    echo "locust: $name at $url, $model (${POLYSERVE_SCENARIO:-single}," \
      "${LOCUST_USERS:-10} users, ${LOCUST_RUN_TIME:-30s})"
    POLYSERVE_MODEL=$model locust -f loadtest/locustfile.py --headless --only-summary \
      --host "$url" \
      --users "${LOCUST_USERS:-10}" \
      --spawn-rate "${LOCUST_SPAWN_RATE:-10}" \
      --run-time "${LOCUST_RUN_TIME:-30s}" \
      --csv "$results/$name-$model" || {
      code=$?
      echo "locust: $name, $model exited with $code"
      status=1
    }
  done
done
exit $status
