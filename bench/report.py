"""Writing a part's figures into BENCHMARKS.md when it runs alone (`python -m bench.X`): its
section is replaced in place, or added at the end, and every other section is kept."""
from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, heading: str, section: list[str]) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    before, _, after = text.partition(heading)
    rest = after.split("\n## ", 1)
    body = before.rstrip("\n") + "\n\n" + "\n".join(section)
    if len(rest) > 1:
        body += "## " + rest[1]
    path.write_text(body)
