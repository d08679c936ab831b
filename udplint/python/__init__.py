"""The Python checker: project loading -> data flow -> socket facts -> rules."""
