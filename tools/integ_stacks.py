"""The integ app's stacks: their names in a synthesized assembly, and which exist in AWS.

    python tools/integ_stacks.py names cdk.out/integ      # "<stack name> <cdk selector>" lines
    python tools/integ_stacks.py existing NAME...         # the NAMEs CloudFormation has

`tools/integ.sh` uses them to refuse to start over leftovers and to destroy only the stacks
its own deploy created.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"


def names(assembly: Path) -> list[tuple[str, str]]:
    """(CloudFormation stack name, the path `cdk deploy/destroy` selects it by), in order."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return [
        (artifact.get("properties", {}).get("stackName", artifact_id),
         artifact.get("displayName", artifact_id))
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == STACK_ARTIFACT
    ]  # fmt: skip


def existing(cloudformation: Any, stack_names: list[str]) -> list[str]:
    """The stacks that exist (in any state but deleted)."""
    from botocore.exceptions import ClientError

    found = []
    for name in stack_names:
        try:
            stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                continue
            raise
        if stack["StackStatus"] != "DELETE_COMPLETE":
            found.append(name)
    return found


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "names":
        for stack_name, selector in names(Path(rest[0])):
            print(stack_name, selector)
        return 0
    if command == "existing":
        import boto3

        for name in existing(boto3.client("cloudformation"), rest):
            print(name)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
