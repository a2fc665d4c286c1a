"""A merge that leaves conflict markers in a tracked file (DEVELOPERS.md once did) fails here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout.split(b"\0")
    return [REPOSITORY / name.decode() for name in listed if name and not name.endswith(b".lock")]


def test_no_tracked_file_holds_merge_conflict_markers() -> None:
    files = tracked_text_files()
    assert any(f.name == "DEVELOPERS.md" for f in files)  # the listing itself works
    marked = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        if MARKER.search(text):
            marked.append(str(path.relative_to(REPOSITORY)))
    assert marked == [], f"merge conflict markers left in: {marked}"
