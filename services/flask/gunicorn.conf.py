"""gunicorn settings for the Flask backend; environment overrides are read in services.config."""

from services.config import bind_host, flask_port, flask_threads, flask_workers, run_dir

bind = f"{bind_host()}:{flask_port()}"
workers = flask_workers()
# gthread keeps connections alive (sync closes each one) and overlaps socket I/O with the
# model call; see the issue notes for the measurements behind the choice.
worker_class = "gthread"
threads = flask_threads()
timeout = 30
graceful_timeout = 10
keepalive = 5
# Headers are small in this contract; the body limit is enforced by the app (413 in JSON).
limit_request_line = 4096
limit_request_fields = 50
limit_request_field_size = 8190
max_requests = 0
accesslog = str(run_dir("flask") / "access.log")
errorlog = "-"
loglevel = "info"
proc_name = "polyserve-flask"
# gunicorn's control socket would otherwise live in ~/.gunicorn; nothing here uses it.
control_socket_disable = True
