"""Output formats. Each reporter takes plain findings and returns the text to print."""
from __future__ import annotations

from typing import Callable, Dict, List

from ..findings import Finding
from . import github, jsonfmt, sarif, text

REPORTERS: Dict[str, Callable[[List[Finding]], str]] = {
    "text": text.render,
    "concise": text.render_concise,
    "json": jsonfmt.render,
    "sarif": sarif.render,
    "github": github.render,
}
