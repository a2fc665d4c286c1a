"""The documentation renders: every Markdown file's code fences are closed (an open fence turns the
rest of the page into code), and the README's curl examples that send JSON say so."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def markdown_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed]


def unclosed_fence(text: str) -> int | None:
    """The line number of a fence that is never closed, or None. CommonMark closes a fence with the
    same character, at least as long, and nothing after it; a fence with a language (```sh) met
    while a block of the same length is open is taken as the next block's start, so the previous
    one was left open (the README's mistake: its closing ``` was missing, and counting fences alone
    would pair the rest of the file off wrongly)."""
    opened: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match is None:
            continue
        marks, rest = match.groups()
        if opened is None:
            opened = (marks, number)
        elif marks[0] == opened[0][0] and len(marks) >= len(opened[0]):
            if rest.strip():
                return opened[1]
            opened = None
    return None if opened is None else opened[1]


def test_the_fence_check_finds_an_open_fence() -> None:
    assert unclosed_fence("text\n```sh\ncode\n```\n") is None
    assert unclosed_fence("```sh\ncode\n## Next\n") == 1
    assert unclosed_fence("````md\n```sh\n```\n````\n") is None
    assert unclosed_fence("```sh\ncode\n## Next\n```sh\nmore\n```\n") == 1


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_fence_is_closed(path: Path) -> None:
    line = unclosed_fence(path.read_text(encoding="utf-8"))
    assert line is None, f"{path.relative_to(ROOT)}:{line}: this code fence is never closed"


def test_readme_curl_examples_that_send_json_say_so() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^curl (?:.*\\\n)*.*$", text, flags=re.MULTILINE)
    sending_json = [c for c in commands if re.search(r"-d '\{|-d '\[|--data '\{", c)]
    assert sending_json
    for command in sending_json:
        assert "Content-Type: application/json" in command, command
