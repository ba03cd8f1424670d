"""Step Functions task: PUT the job's outcome to the wait condition handle's presigned URL.

The state machine calls this once the job is Completed, Failed or Stopped, with the
DescribeAutoMLJobV2 response. CloudFormation reads ``{"Status", "Reason", "UniqueId",
"Data"}`` (AWS docs, "Using wait conditions in a template"); a FAILURE's Reason appears
verbatim in the stack's events. The URL is presigned, so this needs no AWS permissions.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any, cast

from automl_job import status
from cr_support.logs import log

# One signal per wait condition; its Data attribute is then {"automl": "<Data>"}.
UNIQUE_ID = "automl"
# Joins the Data fields; job and candidate names, metric names and numbers never hold it.
DATA_SEPARATOR = "|"
DATA_FIELDS = ("JobName", "BestCandidateName", "ObjectiveMetricName", "ObjectiveMetricValue")
TIMEOUT_SECONDS = 30


def signal_body(name: str, job: Mapping[str, Any]) -> dict[str, str]:
    """SUCCESS with the best candidate, or FAILURE with the job's own reason."""
    try:
        status.raise_if_unusable(name, job)
        data = status.completed_data(name, job)
    except status.JobFailedError as error:
        return {"Status": "FAILURE", "Reason": str(error), "UniqueId": UNIQUE_ID, "Data": ""}
    return {
        "Status": "SUCCESS",
        "Reason": f"AutoML job {name} completed",
        "UniqueId": UNIQUE_ID,
        "Data": DATA_SEPARATOR.join(data[key] for key in DATA_FIELDS),
    }


def put(url: str, body: Mapping[str, str]) -> int:
    # The URL is signed without a Content-Type: send an empty one (as cfn-response does).
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return cast(int, response.status)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    name = event["JobName"]
    body = signal_body(name, event["Job"])
    code = put(event["WaitHandleUrl"], body)
    log(name, "signalled the wait condition", status=body["Status"], http_status=code)
    return {"Status": body["Status"], "Reason": body["Reason"]}
