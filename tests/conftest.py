"""Make the test helpers in this directory (oracle.py) importable whatever pytest import mode is used."""
import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


def pytest_configure(config):
    """Tests share one throw-away cache, never the checkout's `.udplint_cache` (subprocesses inherit it)."""
    import os
    import tempfile

    os.environ["UDPLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="udplint-test-cache-")
