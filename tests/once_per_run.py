"""Work done once per test run and shared by every pytest-xdist worker.

A session-scoped fixture runs once per worker; with ``-n 2`` every environment would be
synthesized twice. The first worker to take a key's lock does the work and writes its
result next to the workers' temporary folders; the others wait on the lock and read it.
(pytest-xdist documents this pattern: "Making session-scoped fixtures execute only once".)
Module-scoped fixtures need it too: ``--dist load`` spreads a module's tests over workers.
Pinning them to one worker with ``xdist_group`` does not work with pytest-xdist 3.8 on
pytest 9.2: xdist tags the group onto ``item._nodeid``, which pytest 9 no longer reads.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def shared_folder(tmp_path_factory: Any) -> Path:
    """A folder every worker of this run sees (the workers' base temp folders' parent)."""
    base: Path = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "shared"
    folder.mkdir(exist_ok=True)
    return folder


def once(tmp_path_factory: Any, key: str, produce: Callable[[Path], dict[str, Any]]) -> dict:
    """``produce(folder)``'s JSON result, computed by one worker per run; others reuse it."""
    folder = shared_folder(tmp_path_factory) / key
    folder.mkdir(exist_ok=True)
    result = folder / "result.json"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not result.exists():
                result.write_text(json.dumps(produce(folder)))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return json.loads(result.read_text())
