"""Rule documentation (markdown), one file per rule id; docs/rules/ is generated from it."""
