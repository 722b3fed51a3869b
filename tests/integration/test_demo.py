"""`make demo`: a newcomer sees surveys appear in the outbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from survey.context import Context

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


# The demo is for the embedded default that `make run` starts.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_puts_four_survey_links_in_the_outbox(ctx: Context, cli_env) -> None:
    done = subprocess.run(
        [sys.executable, str(DEMO)],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "imported 4, duplicates 0, rejected 0" in done.stdout
    links = re.findall(r"https://survey\.test/s/[A-Za-z0-9_-]{32}", done.stdout)
    assert len(links) == 4
