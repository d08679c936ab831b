"""Where users meet udplint besides the CLI: the flake8 plugin (pre-commit and CI use the CLI)."""
