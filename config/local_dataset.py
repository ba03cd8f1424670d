"""Check a local dataset file at synth with the staging function's own validator.

The validator lives in ``runtime/dataset_staging`` (the Lambda package), so synth and
deploy run the same code: imported here as ``runtime.dataset_staging.validation``.

Validation streams the file (about 25 MB/s), so a large file costs seconds once: a
file that passed is remembered by its SHA-256, the settings and the validator's own
source, and later synths only hash it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType
from typing import cast

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = PROJECT_ROOT / "runtime"
CACHE_FILE = PROJECT_ROOT / "cdk.out" / "dataset-checks.json"
_HASH_CHUNK = 8 * 1024 * 1024


def staging_validation() -> ModuleType:
    """The staging function's own validation module (standard library only)."""
    from runtime.dataset_staging import validation

    # Untyped here: mypy checks this file as dataset_staging.validation.
    return cast(ModuleType, validation)


def resolve(path: str) -> Path:
    """A dataset path from the TOML: relative to the project root, like the TOML itself."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else PROJECT_ROOT / candidate


def check_local_file(
    path: str,
    *,
    archive_member: str,
    target: str,
    holdout_fraction: float,
    min_training_rows: int,
) -> None:
    """Raise ValueError with the file's first problem, in the words the deploy would use."""
    validation = staging_validation()
    resolved = resolve(path)
    if not resolved.is_file():
        where = "is a directory" if resolved.is_dir() else "does not exist"
        raise ValueError(f"{where} (resolved to {resolved})")
    settings = {
        "archive_member": archive_member,
        "target": target,
        "holdout_fraction": holdout_fraction,
        "min_training_rows": min_training_rows,
    }
    try:
        key = _cache_key(resolved, settings)
        if key in _passed():
            return
        validation.validate_local_file(str(resolved), **settings)
    except OSError as error:
        raise ValueError(f"cannot read the file: {error.strerror or error}") from None
    except validation.DatasetError as error:
        message = str(error).replace(str(resolved), "the file")
        raise ValueError(message) from None
    _remember(key)


def _cache_key(path: Path, settings: dict[str, object]) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
    for source in sorted((RUNTIME_DIR / "dataset_staging").glob("*.py")):
        digest.update(source.read_bytes())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def _passed() -> set[str]:
    try:
        return set(json.loads(CACHE_FILE.read_text()))
    except (OSError, ValueError):
        return set()


def _remember(key: str) -> None:
    try:
        CACHE_FILE.parent.mkdir(exist_ok=True)
        CACHE_FILE.write_text(json.dumps(sorted(_passed() | {key})[-50:]))
    except OSError:
        pass  # a read-only checkout only loses the shortcut
