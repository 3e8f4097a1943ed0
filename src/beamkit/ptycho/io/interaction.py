"""ptypy's ``ptypy.io.interaction`` module: ``Server``, ``Client``, ``Server_DEFAULT``, ``Client_DEFAULT``.

The implementation is :mod:`beamkit.ptycho.interaction` (see there for the deliberate
differences, among them beamkit's own wire protocol).
"""
from ..interaction import Client, Client_DEFAULT, InteractionServer, Server, Server_DEFAULT, safe_assign, safe_eval

__all__ = ["Server", "Client", "Server_DEFAULT", "Client_DEFAULT"]
