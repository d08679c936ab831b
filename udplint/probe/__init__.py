"""`udplint probe`: tell from outside whether a running UDP service answers from the wrong address.

`targets` parses `HOST:PORT` / `[V6]:PORT`, `presets` builds well-formed requests, `client_source`
picks the local address to send from, `probe` does the socket work, `verdict` judges, `report`
prints, `command` is the command line.
"""
from .probe import ProbeResult, Request, Settings, probe_targets
from .targets import Target, TargetError, parse_target

__all__ = ["ProbeResult", "Request", "Settings", "Target", "TargetError", "parse_target", "probe_targets"]
