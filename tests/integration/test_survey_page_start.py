from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from survey import create_app
from survey.questionnaire import QuestionnaireError


def test_the_app_refuses_to_start_with_a_questionnaire_missing_a_part(
    settings_overrides: dict[str, Any],
) -> None:
    folder = Path(settings_overrides["instance_path"]) / "questionnaires"
    folder.mkdir(parents=True)
    (folder / "thin.toml").write_text(
        """
id = "thin"
version = 1
[scales.s]
sv = ["1", "2", "3", "4", "5"]
en = ["1", "2", "3", "4", "5"]
[[questions]]
id = "overall"
part = "a"
kind = "scale"
scale = "s"
required = true
text.sv = "Hur nöjd?"
text.en = "How satisfied?"
""",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError, match=r"'thin'.*A1\.2 b.*A1\.2 c"):
        create_app(settings_overrides)
