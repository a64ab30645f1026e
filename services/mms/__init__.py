"""The MXNet Model Server backend: a .mar archive served by MMS 1.1 behind the shared contract.

handler and engines travel inside the archive (with the shared codec and contract modules)
and run in MMS's Python workers; settings, server, plugin and the CLI (`python -m
services.mms`) run in the repository and drive the JVM front end. plugin/src holds the Java
endpoint that answers /ping from the workers' real state.
"""
