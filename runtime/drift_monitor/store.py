"""The function's S3 and CloudWatch calls, and nothing else.

Exactly: ListObjectsV2 on the hourly prefixes under CAPTURE_PREFIX, BATCH_CAPTURE_PREFIX
(input/ and output/) and GROUND_TRUTH_PREFIX; GetObject on the profile, on the listed
capture, manifest and ground-truth objects and on the batch objects the manifests name
inside BUCKET; PutObject of one report under REPORTS_PREFIX; PutMetricData in
METRIC_NAMESPACE.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from botocore.exceptions import ClientError

from cr_support import aws

READ_CHUNK_BYTES = 1024 * 1024


class MissingProfile(RuntimeError):
    """The profile object is not there."""


def list_keys(bucket: str, prefix: str) -> list[str]:
    """Every key under the prefix, in S3's (lexicographic) order."""
    paginator = aws.client("s3").get_paginator("list_objects_v2")
    keys: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def lines(bucket: str, key: str) -> Iterator[bytes]:
    """The object's lines, streamed (one line is held at a time, not the object)."""
    body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    try:
        yield from body.iter_lines(chunk_size=READ_CHUNK_BYTES)
    finally:
        body.close()


def read(bucket: str, key: str) -> bytes:
    return cast(bytes, aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def read_profile(bucket: str, key: str) -> dict[str, Any]:
    try:
        body = read(bucket, key)
    except ClientError as error:
        if aws.error_code(error) in {"NoSuchKey", "404"}:
            raise MissingProfile(
                f"the baseline profile s3://{bucket}/{key} (PROFILE_KEY) does not exist; "
                "check that the dataset was staged by this version"
            ) from None
        raise
    return cast(dict[str, Any], json.loads(body))


def put_report(bucket: str, key: str, report: dict[str, Any]) -> None:
    aws.client("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(report, indent=1, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
    )


def put_metrics(
    namespace: str, endpoint_name: str, timestamp: datetime, values: dict[str, tuple[float, str]]
) -> None:
    """One PutMetricData call: ``values`` is {name: (value, unit)}."""
    dimensions = [{"Name": "EndpointName", "Value": endpoint_name}]
    aws.client("cloudwatch").put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
                "Value": value,
                "Unit": unit,
            }
            for name, (value, unit) in values.items()
        ],
    )
