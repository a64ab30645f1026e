"""Hostile-client suites: malformed HTTP/1.1 (fuzz.py) and slow clients (slow_clients.py).

They speak raw bytes on raw sockets, because every HTTP client library refuses to send most
of what these suites send; wire.py holds the small response parser both share.
"""
