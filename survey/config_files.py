"""The settings' files: the TOML configuration file, and the development secrets kept in the
instance folder (generated once where the environment gives none; never in production)."""

from __future__ import annotations

import secrets
import tomllib
import warnings
from pathlib import Path
from typing import Any

GENERATED_SECRETS = ("secret_key", "sampling_secret", "identifier_key")
SECRET_ENV_NAMES = {
    "secret_key": "SURVEY_SECRET_KEY",
    "sampling_secret": "SURVEY_SAMPLING_SECRET",
    "identifier_key": "SURVEY_IDENTIFIER_KEY",
}


def toml_values(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {key.lower().removeprefix("survey_"): value for key, value in data.items()}


def dev_secrets(instance: Path, values: dict[str, Any]) -> dict[str, str]:
    """Generate missing secrets once and keep them in the instance folder (not in production)."""
    store = instance / "secrets.toml"
    kept = toml_values(store) if store.exists() else {}
    missing = [f for f in GENERATED_SECRETS if not values.get(f)]
    result = {f: str(kept[f]) for f in missing if f in kept}
    new = [f for f in missing if f not in kept]
    if new:
        instance.mkdir(parents=True, exist_ok=True)
        for field in new:
            result[field] = secrets.token_urlsafe(32)
        lines = [
            f'{SECRET_ENV_NAMES[f]} = "{v}"\n'
            for f, v in {**kept, **result}.items()
            if f in SECRET_ENV_NAMES
        ]
        store.write_text("".join(lines), encoding="utf-8")
        store.chmod(0o600)
        warnings.warn(
            f"generated {', '.join(SECRET_ENV_NAMES[f] for f in new)} in {store}; "
            "set them in the environment for production",
            stacklevel=2,
        )
    return result
