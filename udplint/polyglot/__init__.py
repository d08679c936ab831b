"""Checks for C, Go and Java sources, done by semgrep with udplint's bundled rules."""
