"""Peer servers (TorchServe, LitServe) measured beside polyserve's backends: `loadtest compare
--peers`. Their registry is loadtest/peers/registry.py; this package itself imports nothing,
because the peers' own processes import loadtest.peers.answering from their venvs.
"""
