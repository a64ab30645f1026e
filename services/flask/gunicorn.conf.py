"""gunicorn settings for the Flask backend, from the process's settings (services.config)."""

from services.config import Settings
from services.flask.front import UPSTREAM_IDLE_S

settings = Settings.load()

# No `bind`: the launcher binds a unix socket that only the nginx front connects to
# (services/flask/server.py).
workers = settings.flask_workers
# gthread keeps connections alive (sync closes each one) and overlaps socket I/O with the
# model call (docs/performance.md: 2,509 → 2,905 requests/s, medians, against 2 sync workers).
worker_class = "services.flask.worker.ContractErrorsWorker"  # gthread, errors in JSON
threads = settings.flask_threads
timeout = 30
graceful_timeout = 10
# Only nginx connects, and it closes its idle connections first (services/flask/front.py): when
# gunicorn closed them at 5 s, a request nginx sent at that moment was lost (1 in ~1,000
# requests after a quiet gap, 0 in 3,840 since).
keepalive = 2 * UPSTREAM_IDLE_S
# The nginx front bounds the request line and every header (and answers what it refuses in
# the contract's JSON); gunicorn's own limits, lower, would answer in HTML: lifted to the most
# it allows (0: no limit). The body limits are the front's and the app's (413 in JSON).
limit_request_line = 0
limit_request_fields = 32768
limit_request_field_size = 0
max_requests = 0
accesslog = str(settings.folder("flask") / "access.log")
errorlog = "-"
loglevel = "info"
proc_name = "polyserve-flask"
# gunicorn's control socket would otherwise live in ~/.gunicorn; nothing here uses it.
control_socket_disable = True
