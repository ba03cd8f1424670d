"""Check the integ assertions after a plain `cdk deploy --outputs-file FILE` of the integ app.

integ-runner reads the assertion stack's `AssertionResults*` outputs itself. When the app is
deployed with the CDK CLI instead, run `python tests/integ/assertion_results.py FILE`: it
prints each result and exits 1 unless there is at least one and all of them succeeded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUTPUT_PREFIX = "AssertionResults"


def assertion_results(outputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each `AssertionResults*` output of every stack, decoded; unreadable ones count as failed."""
    results: dict[str, dict[str, Any]] = {}
    for stack_name, stack_outputs in outputs.items():
        for key, value in stack_outputs.items():
            if not key.startswith(OUTPUT_PREFIX):
                continue
            try:
                result = json.loads(value)
            except (TypeError, json.JSONDecodeError):
                result = None
            if not isinstance(result, dict) or result.get("status") not in ("success", "fail"):
                result = {"status": "fail", "message": f"unreadable assertion result: {value!r}"}
            results[f"{stack_name}.{key}"] = result
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: assertion_results.py OUTPUTS_FILE", file=sys.stderr)
        return 2
    results = assertion_results(json.loads(Path(args[0]).read_text()))
    if not results:
        print("no assertion results found in the deploy outputs", file=sys.stderr)
        return 1
    for name, result in sorted(results.items()):
        message = f": {result['message']}" if result.get("message") else ""
        print(f"{result['status'].upper():8}{name}{message}")
    return 0 if all(result["status"] == "success" for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
