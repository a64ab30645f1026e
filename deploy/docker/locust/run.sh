#!/bin/sh
# Headless Locust (loadtest/locustfile.py) against each backend of the stack in turn, under
# the same settings; CSVs per backend in /srv/polyserve/results/<name>_*.csv. Exits non-zero
# when any run has a failure (a wrong answer counts as one).
#
#   POLYSERVE_LOCUST_TARGETS  "name=url ..." (default: the three backends of the compose file)
#   POLYSERVE_SCENARIO        single|batch|mix (default single)
#   LOCUST_USERS, LOCUST_SPAWN_RATE, LOCUST_RUN_TIME   (default 10 users, 10/s, 30s)
set -eu
targets=${POLYSERVE_LOCUST_TARGETS:-"flask=http://flask:5000 mms=http://mms:8080 redisai=http://gateway:8000"}
results=/srv/polyserve/results
status=0
for target in $targets; do
  name=${target%%=*}
  url=${target#*=}
  echo "locust: $name at $url (${POLYSERVE_SCENARIO:-single}," \
    "${LOCUST_USERS:-10} users, ${LOCUST_RUN_TIME:-30s})"
  locust -f loadtest/locustfile.py --headless --only-summary \
    --host "$url" \
    --users "${LOCUST_USERS:-10}" \
    --spawn-rate "${LOCUST_SPAWN_RATE:-10}" \
    --run-time "${LOCUST_RUN_TIME:-30s}" \
    --csv "$results/$name" || status=1
done
exit $status
