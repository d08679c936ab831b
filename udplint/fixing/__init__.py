"""Autofixes: turn findings into small in-place rewrites of the source, or exact suggestions.

The fixer's input is plain data (`target.FixTarget`, built from the analysis by `from_analysis.py`) and
the text of the files it fixes; it parses each file once per run (`planning.Workspace`, where
`plan_findings` and `attach_fixes` start), finds the nodes by span (`locate.py`; a `Project` when
bind, receive and reply are in different modules) and plans the changes (`plain.py`,
`loop_sock.py`, `socketserver_fix.py`, `asyncio_fix.py`, `anyio_fix.py`, `carry.py`; `plan.py`
renders them, file by file).

The package itself imports nothing, so that `cli_support` (loaded by every `check`) does not pull
in libcst, a sixth of a second that a run with nothing to fix should not pay.
"""
