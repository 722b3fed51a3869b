"""The shape the code keeps: the database is chosen in survey/store alone, psycopg loads only
with PostgreSQL, and no module grows past what a reader takes in at once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "survey"
# What asks which database it runs on: a dialect, a database's name as a string, the driver.
DATABASE_CHECK = re.compile(r"\bdialect\b|[\"'](postgresql|sqlite)[\"']|\bpsycopg\b|get_bind\(\)")
MAX_MODULE_LINES = 350


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_store_asks_which_database_it_runs_on() -> None:
    outside = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in _modules()
        if "store" not in path.relative_to(PACKAGE).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DATABASE_CHECK.search(line)
    ]
    assert outside == []


def test_no_module_is_longer_than_a_reader_takes_in() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_an_app_on_sqlite_never_loads_psycopg(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from survey import create_app\n"
        "from survey.cli import cli\n"
        "import jobs\n"
        "from survey.migrate import upgrade\n"
        "upgrade(f'sqlite:///{sys.argv[1]}/survey.db')\n"
        "app = create_app({'env': 'test', 'instance_path': sys.argv[1],"
        " 'secret_key': 's' * 43, 'sampling_secret': 't' * 43, 'identifier_key': 'u' * 43})\n"
        "app.test_client().get('/healthz')\n"
        "print('psycopg' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
