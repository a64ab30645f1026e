"""The MXNet Model Server backend: a .mar archive served by MMS 1.1 behind the shared contract.

handler and engines travel inside the archive (with the shared codec and contract modules)
and run in MMS's Python workers (noop, the ceiling's handler, in an archive of its own);
settings, server, front, plugin and the CLI (`python -m services.mms`) run in the repository
and drive the JVM and its nginx front (nginx.conf), which answers the contract's port and
proxies to MMS's unix socket. plugin/src holds the Java endpoint that answers /ping from the
workers' real state.
"""
