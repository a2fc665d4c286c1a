"""`eams seed example` and `eams seed framework`: load once, refuse twice, explain bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from eams.cli.main import app
from inventory.db import Database
from inventory.framework_loader import FRAMEWORK_DIR, FrameworkFileError, load_framework
from inventory.models import Device, ReferenceModelNode


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    # A database of its own: the command migrates and fills it like a newcomer's first run.
    return {
        "EAMS_DATA_DIR": str(tmp_path / "var"),
        "EAMS_DATABASE_URL": f"sqlite:///{tmp_path / 'seed.sqlite3'}",
    }


def test_seed_example_loads_once_then_refuses_clearly(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["seed", "example"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "device: 33" in first.output
    second = runner.invoke(app, ["seed", "example"], env=cli_env)
    assert second.exit_code == 5
    assert "already loaded" in second.output
    database = Database(cli_env["EAMS_DATABASE_URL"])
    with database.session() as session:
        names = set(session.scalars(select(Device.name)))
    database.dispose()
    assert len(names) == 33 and {"dc-core-sw-01", "dc-srv-mail-01", "syt-fw-01"} <= names


def test_seed_framework_from_csv_needs_a_code(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    csv_file = str(FRAMEWORK_DIR / "vn-egov-v3.0.csv")
    missing = runner.invoke(app, ["seed", "framework", csv_file], env=cli_env)
    assert missing.exit_code == 1 and "code and a name" in missing.output
    loaded = runner.invoke(
        app, ["seed", "framework", csv_file, "--code", "v3.0", "--name", "Khung v3.0"], env=cli_env
    )
    assert loaded.exit_code == 0, loaded.output
    again = runner.invoke(
        app, ["seed", "framework", csv_file, "--code", "v3.0", "--name", "Khung v3.0"], env=cli_env
    )
    assert again.exit_code == 1 and "already loaded" in again.output


def test_framework_nodes_keep_their_tree(db: Database) -> None:
    with db.session() as session:
        version = load_framework(session, FRAMEWORK_DIR / "vn-egov-v3.0.csv", code="v3.0", name="Khung v3.0")
        nodes = {
            n.code: n
            for n in session.scalars(
                select(ReferenceModelNode).where(ReferenceModelNode.framework_id == version.id)
            )
        }
        assert len(nodes) == 14
        assert nodes["ARM.01.02"].parent_id == nodes["ARM.01"].id
        assert nodes["ARM.01"].parent_id is None
        assert session.scalar(select(func.count()).select_from(ReferenceModelNode)) == 14


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "framework: {code: v9, name: X}\nnodes:\n  - {model: XRM, code: X.1, name: X}\n",
            "model must be one of",
        ),
        (
            "framework: {code: v9, name: X}\nnodes:\n  - {model: ARM, code: A.1, name: A, parent: A.0}\n",
            "parent A.0",
        ),
        (
            "framework: {code: v9, name: X}\nnodes:\n"
            "  - {model: ARM, code: A.1, name: A}\n  - {model: ARM, code: A.1, name: B}\n",
            "appears twice",
        ),
        ("framework: {code: v9}\nnodes: []\n", "code and a name"),
        ("framework: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_framework_files_say_what_is_wrong(
    db: Database, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FrameworkFileError, match=message), db.session() as session:
        load_framework(session, path)
