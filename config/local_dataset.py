"""Check a local dataset file at synth with the staging function's own validator.

The validator lives in ``runtime/dataset_staging`` (the Lambda package), so synth and
deploy run the same code; this module only puts ``runtime/`` on the import path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = PROJECT_ROOT / "runtime"


def staging_validation() -> ModuleType:
    """``dataset_staging.validation``, imported from the Lambda package (no boto3)."""
    if str(RUNTIME_DIR) not in sys.path:
        sys.path.append(str(RUNTIME_DIR))
    from dataset_staging import validation

    return validation


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
    seed: int,
) -> None:
    """Raise ValueError with one line naming the file and the problem, as the deploy would."""
    validation = staging_validation()
    resolved = resolve(path)
    if not resolved.is_file():
        where = "is a directory" if resolved.is_dir() else "does not exist"
        raise ValueError(
            f"path {path!r} {where} (resolved to {resolved}); set dataset.path to a CSV "
            "or .zip file, relative to the project root"
        )
    try:
        validation.validate_local_file(
            str(resolved),
            archive_member=archive_member,
            target=target,
            holdout_fraction=holdout_fraction,
            min_training_rows=min_training_rows,
            seed=seed,
        )
    except validation.DatasetError as error:
        message = str(error).replace(str(resolved), "the file")
        raise ValueError(f"path {path!r}: {message}") from None
