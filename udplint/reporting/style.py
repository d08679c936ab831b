"""Terminal colour, decided once per run the way ruff does: `--color auto|always|never`; on auto,
colour only a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb;
FORCE_COLOR turns it on where a CI log renders ANSI but is not a terminal."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, TextIO

_CODES = {"bold": "1", "red": "31", "cyan": "36", "blue": "34", "dim": "2", "green": "32"}


def wants_color(choice: str, stream: Optional[TextIO], environ: Optional[Mapping[str, str]] = None) -> bool:
    environ = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never" or stream is None:
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


@dataclass(frozen=True)
class Style:
    enabled: bool = False

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not text:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


PLAIN = Style(False)
