"""``python -m cli batch-predict``: score a CSV with a SageMaker batch transform job.

1. Checks everything it can before anything is uploaded or started: the stack's outputs,
   the instance type, that the model's containers emit ``InferenceResponseKeys``, and the
   input's header against the training data's (``TrainingDataS3Uri``).
2. Uploads the features, in the training order and without a header (as the model
   expects), to ``s3://<bucket>/batch/<job>/input/``.
3. Runs one CreateTransformJob on the stack's ``ModelName``. The response keys come from
   the model's containers' ``SAGEMAKER_INFERENCE_OUTPUT``, set when the model was created,
   as on the endpoint. CreateTransformJob's own ``Environment`` goes to every container
   alike, so it could not give an HPO pipeline's algorithm and inverse label transform
   their different keys; it is not used.
4. Joins the output lines to the input rows, writes the result, and prints the metrics of
   ``make evaluate`` when the input has the target column.

Why boto3 and not ``sagemaker.core.resources.TransformJob`` (create, wait, logs): importing
it takes seconds, about seven times boto3 with a SageMaker client; ``create`` fills unset
fields from the user's SageMaker SDK config files (``~/.config/sagemaker/config.yaml``),
so the request would differ by machine; ``wait`` returns normally on ``Stopped`` and draws
its own panel with a fixed sleep; and it builds its clients from a process-wide cache, so
this command's clients (profile and region resolved as the AWS CLI does, retries, test
stubs) cannot be passed in. Its one saving, tailing the job's CloudWatch logs, is replaced
by naming the log streams.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from cli import s3uri, stack_outputs
from cli.errors import EvaluationError
from cli.evaluate import (
    add_aws_arguments,
    add_probability_argument,
    command_parser,
    non_negative_seconds,
)
from cli.scoring import CONTENT_TYPE

REQUIRED_OUTPUTS = (
    "DataBucketName",
    "ModelName",
    "TrainingDataS3Uri",
    "TargetAttribute",
    "PositiveClass",
    "InferenceResponseKeys",
)
# Present only with monitor.enabled / only where the stack has a customer-managed key.
CAPTURE_OUTPUT = "BatchCaptureS3Uri"
KEY_OUTPUT = "EncryptionKeyArn"
OBJECTIVE_OUTPUT = "BestCandidateObjectiveMetric"
OPTIONAL_OUTPUTS = (CAPTURE_OUTPUT, KEY_OUTPUT, OBJECTIVE_OUTPUT)

DEFAULT_INSTANCE_TYPE = "ml.m5.large"
DEFAULT_INTERVAL = 15
# Mini-batches up to InvokeEndpoint's 6 MB, which Autopilot's containers are built to take;
# also CreateTransformJob's default, stated so a change of default cannot surprise anyone.
MAX_PAYLOAD_MB = 6
# What the model's creation wires (runtime/model_endpoint/containers.py); unset, every
# Autopilot container returns the label alone.
OUTPUT_ENV = "SAGEMAKER_INFERENCE_OUTPUT"
DEFAULT_RESPONSE_KEY = "predicted_label"
# With GenerateInferenceId, each CSV output line ends with these two fields (AWS docs,
# "Capture data from batch transform job", InferenceId generation).
INFERENCE_ID_COLUMNS = ("inference_id", "inference_time")
TRAINING_HEADER_BYTES = 1 << 20
ENDED = frozenset({"Completed", "Failed", "Stopped"})
LOG_GROUP = "/aws/sagemaker/TransformJobs"


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "batch-predict",
        "Score a CSV (local or s3://) with a SageMaker batch transform job on the "
        "stack's model, write the input rows with the predictions, and print the metrics of "
        "`make evaluate` when the input has the target column.",
    )
    parser.add_argument(
        "--input", help="CSV with a header: the training columns, in any order (+ the target)"
    )
    parser.add_argument(
        "--output",
        help="where the joined CSV goes: a local path or s3:// URI "
        "(default reports/<env>/batch-<job name>.csv)",
    )
    parser.add_argument(
        "--instance-type",
        default=DEFAULT_INSTANCE_TYPE,
        help=f"transform instance type (default {DEFAULT_INSTANCE_TYPE})",
    )
    parser.add_argument(
        "--interval",
        type=non_negative_seconds,
        default=DEFAULT_INTERVAL,
        help=f"seconds between status checks (default {DEFAULT_INTERVAL})",
    )
    add_probability_argument(parser)
    add_aws_arguments(parser)
    return parser


# --- names and request --------------------------------------------------------------------


def job_name(prefix: str, moment: datetime) -> str:
    """``<prefix>-batch-<UTC timestamp to the millisecond>``: unique per run, so two runs
    never share an input folder."""
    utc = moment.astimezone(UTC)
    return f"{prefix}-batch-{utc:%Y%m%d-%H%M%S}-{utc.microsecond // 1000:03d}"


def check_job_name(name: str, sagemaker: Any) -> None:
    """CreateTransformJob's own limits on the name, from botocore's service model."""
    shape = sagemaker.meta.service_model.operation_model("CreateTransformJob").input_shape
    rule = shape.members["TransformJobName"].metadata
    if len(name) > rule["max"] or not re.fullmatch(rule["pattern"], name):
        raise EvaluationError(
            f"transform job name {name!r} does not fit CreateTransformJob's rule (at most "
            f"{rule['max']} letters, digits and hyphens): pass --env as named in "
            "config/environments.toml"
        )


def check_instance_type(instance_type: str, sagemaker: Any, key_arn: str | None) -> None:
    allowed = tuple(sagemaker.meta.service_model.shape_for("TransformInstanceType").enum)
    if instance_type not in allowed:
        from config.aws_catalog import did_you_mean

        raise EvaluationError(
            f"--instance-type {instance_type!r}: not a SageMaker batch transform instance "
            f"type; {did_you_mean(instance_type, allowed)}the default is {DEFAULT_INSTANCE_TYPE}"
        )
    if key_arn:
        from config.aws_catalog import has_local_storage

        if has_local_storage(instance_type):
            raise EvaluationError(
                f"--instance-type {instance_type}: its NVMe instance store cannot be encrypted "
                "with the stack's KMS key (CreateTransformJob refuses VolumeKmsKeyId for it); "
                f"pick a type without instance store, such as {DEFAULT_INSTANCE_TYPE}"
            )


def transform_request(
    *,
    name: str,
    model_name: str,
    input_uri: str,
    output_uri: str,
    instance_type: str,
    capture_uri: str | None,
    key_arn: str | None,
) -> dict[str, Any]:
    """CreateTransformJob's parameters: CSV lines in, one CSV line out per line, in order."""
    output: dict[str, Any] = {
        "S3OutputPath": output_uri,
        "Accept": CONTENT_TYPE,
        "AssembleWith": "Line",
    }
    # One input object: a second instance would have nothing to do.
    resources: dict[str, Any] = {"InstanceType": instance_type, "InstanceCount": 1}
    if key_arn:
        output["KmsKeyId"] = key_arn
        resources["VolumeKmsKeyId"] = key_arn
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": model_name,
        "MaxPayloadInMB": MAX_PAYLOAD_MB,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": CONTENT_TYPE,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": output,
        "TransformResources": resources,
    }
    if capture_uri:
        capture: dict[str, Any] = {"DestinationS3Uri": capture_uri, "GenerateInferenceId": True}
        if key_arn:
            capture["KmsKeyId"] = key_arn
        request["DataCaptureConfig"] = capture
    return request


def model_response_keys(sagemaker: Any, model_name: str) -> tuple[str, ...]:
    """What the model's last container emits: its ``SAGEMAKER_INFERENCE_OUTPUT``."""
    from botocore.exceptions import ClientError

    try:
        model = sagemaker.describe_model(ModelName=model_name)
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "could not find" in message.lower():
            raise EvaluationError(
                f"model {model_name} (the stack's ModelName) does not exist: redeploy the stack"
            ) from None
        raise
    containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
    emitted = (containers[-1].get("Environment") or {}).get(OUTPUT_ENV, DEFAULT_RESPONSE_KEY)
    return tuple(key.strip() for key in emitted.split(",") if key.strip())


# --- input --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """Where each training feature and the target sit in the input's header."""

    header: list[str]
    feature_indexes: list[int]
    target_index: int | None


def plan_columns(
    header: Sequence[str], features: Sequence[str], target: str, source: str
) -> ColumnPlan:
    """The input must hold exactly the training features (any order), and may add the target."""
    names = [name.strip() for name in header]
    expected = ", ".join(features)
    if len(names) == 1 and any(mark in names[0] for mark in ("\t", ";", "|")):
        raise EvaluationError(
            f"{source} is not comma-separated (its header is one field, {names[0][:60]!r}): "
            "save it as CSV with commas"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise EvaluationError(f"{source}: column {', '.join(repeated)} appears more than once")
    known = {*features, target}
    if not known & set(names):
        raise EvaluationError(
            f"{source} has no header row (its first line reads {','.join(names)[:60]!r}); "
            f"add this line first: {','.join(features)}"
        )
    missing = [name for name in features if name not in names]
    unknown = [name for name in names if name not in known]
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise EvaluationError(
            f"{source}: columns do not match the training data ({'; '.join(problems)}); "
            f"the header needs exactly these, in any order, plus {target} if you have it: "
            f"{expected}"
        )
    return ColumnPlan(
        header=names,
        feature_indexes=[names.index(name) for name in features],
        target_index=names.index(target) if target in names else None,
    )


@dataclass
class PreparedInput:
    plan: ColumnPlan
    rows: int = 0
    labels: list[str] | None = field(default=None)


def _text_lines(handle: TextIO, source: str) -> Iterator[str]:
    # Python's csv module reads NUL bytes as data since 3.11: a binary file would pass.
    for number, line in enumerate(handle, start=1):
        if "\x00" in line:
            raise EvaluationError(
                f"{source} line {number} holds a NUL byte: it is binary, not CSV; export it as CSV"
            )
        yield line


def _records(path: Path, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank CSV record; one line on what is not CSV."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(_text_lines(handle, source))
        try:
            for row in reader:
                if any(value.strip() for value in row):
                    yield reader.line_num, row
        except UnicodeDecodeError:
            raise EvaluationError(
                f"{source} is not a UTF-8 text file near line {reader.line_num + 1}: "
                "export it as CSV (UTF-8)"
            ) from None
        except csv.Error as error:
            raise EvaluationError(
                f"{source} line {reader.line_num} is not CSV ({error}): export it as CSV"
            ) from None


def prepare(
    path: Path, source: str, features: Sequence[str], target: str, features_file: Path
) -> PreparedInput:
    """Check every row, and write the features in the training order without a header."""
    records = _records(path, source)
    first = next(records, None)
    if first is None:
        raise EvaluationError(f"{source} is empty: it needs a header and at least one row")
    prepared = PreparedInput(plan=plan_columns(first[1], features, target, source))
    plan = prepared.plan
    if plan.target_index is not None:
        prepared.labels = []
    with features_file.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        for number, row in records:
            if len(row) != len(plan.header):
                raise EvaluationError(
                    f"{source} line {number} has {len(row)} fields but the header has "
                    f"{len(plan.header)}"
                )
            if any("\n" in value or "\r" in value for value in row):
                raise EvaluationError(
                    f"{source} line {number} has a value with a line break inside quotes: "
                    "batch transform splits records at line breaks; remove it"
                )
            writer.writerow([row[index] for index in plan.feature_indexes])
            if prepared.labels is not None:
                prepared.labels.append(row[plan.target_index].strip())
            prepared.rows += 1
    if not prepared.rows:
        raise EvaluationError(f"{source} has a header but no rows")
    return prepared


def training_features(s3: Any, uri: str, target: str) -> list[str]:
    """The training CSV's columns without the target: the order the model reads."""
    head = s3uri.read(s3, uri, "training data", first_bytes=TRAINING_HEADER_BYTES)
    line = head.decode("utf-8-sig", errors="replace").splitlines()[:1] or [""]
    header = [name.strip() for name in next(csv.reader(line), [])]
    if target not in header:
        raise EvaluationError(
            f"training data {uri} has no target column {target!r} in its header: redeploy"
        )
    return [name for name in header if name != target]


def fetch_input(s3: Any, source: str, workdir: Path) -> Path:
    """A local path for ``source``: the file itself, or a download of the s3:// object."""
    if not source.startswith("s3://"):
        path = Path(source)
        if not path.is_file():
            state = "is a directory" if path.is_dir() else "does not exist"
            raise EvaluationError(f"INPUT {source} {state}: give a CSV file or an s3:// URI")
        return path
    from botocore.exceptions import ClientError

    bucket, key = s3uri.split(source)
    if not key or key.endswith("/"):
        raise EvaluationError(f"INPUT {source} is a prefix: give one CSV object")
    local = workdir / "source.csv"
    try:
        s3.download_file(bucket, key, str(local))
    except ClientError as error:
        if code := s3uri.not_found(error):
            raise EvaluationError(f"INPUT {source} not found ({code})") from None
        raise
    return local


def upload(s3: Any, path: Path, uri: str) -> None:
    from boto3.exceptions import S3UploadFailedError

    bucket, key = s3uri.split(uri)
    try:
        s3.upload_file(str(path), bucket, key)
    except S3UploadFailedError as error:
        raise EvaluationError(f"upload to {uri} failed: {error}") from None


# --- the job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    """The job as DescribeTransformJob showed it at one moment."""

    name: str
    status: str
    instances: str
    elapsed_seconds: int
    started: datetime | None = None
    ended: datetime | None = None
    failure_reason: str | None = None

    @classmethod
    def of(cls, job: dict[str, Any], moment: datetime) -> JobState:
        resources = job["TransformResources"]
        ended = job.get("TransformEndTime")
        return cls(
            name=job["TransformJobName"],
            status=job["TransformJobStatus"],
            instances=f"{resources['InstanceCount']} x {resources['InstanceType']}",
            elapsed_seconds=int(((ended or moment) - job["CreationTime"]).total_seconds()),
            started=job.get("TransformStartTime"),
            ended=ended,
            failure_reason=job.get("FailureReason"),
        )

    @property
    def status_text(self) -> str:
        """``InProgress (starting instances)``, ``InProgress (running on 1 x ...)``, ``Failed``."""
        if self.status != "InProgress":
            return self.status
        stage = f"running on {self.instances}" if self.started else "starting instances"
        return f"{self.status} ({stage})"

    def billed(self) -> int | None:
        """Seconds billed per instance: TransformStartTime to TransformEndTime."""
        if self.started and self.ended:
            return int((self.ended - self.started).total_seconds())
        return None

    def line(self) -> str:
        from cli.progress import clock

        return (
            f"transform job {self.name} {self.status_text}, elapsed {clock(self.elapsed_seconds)}"
        )


def render(state: JobState):
    """The live view: status, stage and elapsed time."""
    from rich.table import Table

    from cli.progress import clock

    table = Table.grid(padding=(0, 2))
    table.add_row("transform job", state.name)
    table.add_row("status", state.status_text)
    table.add_row("elapsed", clock(state.elapsed_seconds))
    return table


def wait(
    sagemaker: Any,
    name: str,
    err: TextIO,
    *,
    interval: float = DEFAULT_INTERVAL,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], datetime] | None = None,
    live: bool | None = None,
) -> JobState:
    """Poll DescribeTransformJob until the job has ended; return its last state."""
    from cli.progress import follow

    def poll(moment: datetime) -> JobState:
        return JobState.of(sagemaker.describe_transform_job(TransformJobName=name), moment)

    return follow(
        poll,
        err,
        finished=lambda state: state.status in ENDED,
        line=JobState.line,
        render=render,
        interval=interval,
        sleep=sleep or time.sleep,
        now=now,
        live=live,
    )


def run_job(sagemaker: Any, request: dict[str, Any], err: TextIO, interval: float) -> JobState:
    """Start the job and wait for it; Ctrl-C stops it so it bills no further."""
    name = request["TransformJobName"]
    sagemaker.create_transform_job(**request)
    try:
        state = wait(sagemaker, name, err, interval=interval)
    except KeyboardInterrupt:
        sagemaker.stop_transform_job(TransformJobName=name)
        raise EvaluationError(
            f"interrupted: asked SageMaker to stop transform job {name}; it bills until it is "
            "Stopped (aws sagemaker describe-transform-job --transform-job-name "
            f"{name})"
        ) from None
    if state.status != "Completed":
        reason = " ".join((state.failure_reason or "no reason given").split())
        raise EvaluationError(
            f"transform job {name} {state.status.lower()}: {reason} (logs: CloudWatch "
            f"{LOG_GROUP}, streams {name}/*)"
        )
    return state


def output_object(s3: Any, output_uri: str) -> str:
    """The one ``.out`` object the job wrote under its output prefix."""
    bucket, prefix = s3uri.split(output_uri)
    page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    keys = [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".out")]
    if len(keys) != 1:
        raise EvaluationError(
            f"the transform job wrote {len(keys)} .out objects under {output_uri}, expected 1"
        )
    return f"s3://{bucket}/{keys[0]}"


# --- output -------------------------------------------------------------------------------


def prediction_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip("\r\n")


def join(
    input_path: Path,
    source: str,
    prepared: PreparedInput,
    lines: Iterator[str],
    keys: Sequence[str],
    *,
    with_inference_id: bool,
    destination: Path,
) -> list[Any]:
    """Write the input rows with the response fields appended; return the predictions."""
    from cli import scoring

    extra = list(INFERENCE_ID_COLUMNS) if with_inference_id else []
    predictions = []
    with destination.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow([*prepared.plan.header, *keys, *extra])
        records = _records(input_path, source)
        next(records)  # the header
        for count, (_, row) in enumerate(records, start=1):
            line = next(lines, None)
            if line is None:
                raise EvaluationError(
                    f"the transform returned {count - 1} predictions for {prepared.rows} rows"
                )
            # The inference ID and time never hold commas; the response keys' lists may.
            response, *ids = line.rsplit(",", len(extra)) if extra else [line]
            fields = scoring.response_fields(response, keys)
            predictions.append(scoring.parse_fields(fields, keys, response))
            writer.writerow([*row, *fields, *(value.strip() for value in ids)])
    surplus = sum(1 for _ in lines)
    if surplus:
        raise EvaluationError(
            f"the transform returned {prepared.rows + surplus} predictions for {prepared.rows} rows"
        )
    return predictions


def destination_for(output: str | None, env: str, name: str) -> str:
    default = f"batch-{name}.csv"
    if not output:
        return str(Path("reports") / env / default)
    if output.startswith("s3://"):
        return output + default if output.endswith("/") else output
    return str(Path(output) / default) if Path(output).is_dir() else output


# --- the command --------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BatchTarget:
    """What the stack's outputs say about where and how to score."""

    bucket: str
    model_name: str
    training_uri: str
    target: str
    positive_class: str
    response_keys: tuple[str, ...]
    capture_uri: str | None
    key_arn: str | None
    objective: str | None


def read_outputs(cloudformation: Any, stack_name: str, region: str | None) -> BatchTarget:
    stack = stack_outputs.describe(cloudformation, stack_name, region)
    values = stack_outputs.require(stack, stack_name, REQUIRED_OUTPUTS)
    optional = stack_outputs.output_values(stack, OPTIONAL_OUTPUTS)
    keys = values["InferenceResponseKeys"].split(",")
    return BatchTarget(
        bucket=values["DataBucketName"],
        model_name=values["ModelName"],
        training_uri=values["TrainingDataS3Uri"],
        target=values["TargetAttribute"],
        positive_class=values["PositiveClass"],
        response_keys=tuple(key.strip() for key in keys if key.strip()),
        capture_uri=optional[CAPTURE_OUTPUT],
        key_arn=optional[KEY_OUTPUT],
        objective=optional[OBJECTIVE_OUTPUT],
    )


def run(args: argparse.Namespace, clients: Any, out: TextIO, err: TextIO) -> dict[str, Any]:
    if not args.input:
        raise EvaluationError(
            "no input: make batch-predict ENV=<env> INPUT=<local CSV or s3:// URI>"
        )
    stack_name = args.stack_name or stack_outputs.stack_name_for(args.env)
    stack = read_outputs(clients.cloudformation, stack_name, clients.region)
    name = job_name(stack_outputs.resource_prefix_for(args.env), _utc_now())
    check_job_name(name, clients.sagemaker)
    check_instance_type(args.instance_type, clients.sagemaker, stack.key_arn)
    emitted = model_response_keys(clients.sagemaker, stack.model_name)
    if emitted != stack.response_keys:
        raise EvaluationError(
            f"model {stack.model_name} emits {','.join(emitted)} but the stack's "
            f"InferenceResponseKeys is {','.join(stack.response_keys)}: redeploy the stack"
        )
    features = training_features(clients.s3, stack.training_uri, stack.target)
    with tempfile.TemporaryDirectory(prefix="batch-predict-") as temporary:
        return score(args, clients, stack, features, name, Path(temporary), out, err)


def score(
    args: argparse.Namespace,
    clients: Any,
    stack: BatchTarget,
    features: list[str],
    name: str,
    workdir: Path,
    out: TextIO,
    err: TextIO,
) -> dict[str, Any]:
    """Check and upload the input, run the job, join its output, report."""
    from cli.progress import clock

    base = f"s3://{stack.bucket}/batch/{name}"
    input_path = fetch_input(clients.s3, args.input, workdir)
    prepared = prepare(input_path, args.input, features, stack.target, workdir / "features.csv")
    input_uri = f"{base}/input/{PurePosixPath(args.input).name}"
    upload(clients.s3, workdir / "features.csv", input_uri)
    print(f"uploaded {prepared.rows} rows to {input_uri}", file=err, flush=True)

    request = transform_request(
        name=name,
        model_name=stack.model_name,
        input_uri=f"{base}/input/",
        output_uri=f"{base}/output/",
        instance_type=args.instance_type,
        capture_uri=stack.capture_uri,
        key_arn=stack.key_arn,
    )
    state = run_job(clients.sagemaker, request, err, args.interval)

    result_uri = output_object(clients.s3, f"{base}/output/")
    result_path = workdir / "output.csv.out"
    clients.s3.download_file(*s3uri.split(result_uri), str(result_path))
    joined = workdir / "joined.csv"
    predictions = join(
        input_path,
        args.input,
        prepared,
        prediction_lines(result_path),
        stack.response_keys,
        with_inference_id=bool(stack.capture_uri),
        destination=joined,
    )
    destination = destination_for(args.output, args.env, name)
    if destination.startswith("s3://"):
        upload(clients.s3, joined, destination)
    else:
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(joined, destination)

    billed = state.billed()
    print(
        f"transform job {name} Completed: {prepared.rows} rows on {state.instances}"
        + (f", {clock(billed)} billed per instance" if billed is not None else ""),
        file=out,
    )
    print(f"input    {input_uri} (features in training order, no header)", file=out)
    print(f"output   {result_uri}", file=out)
    if stack.capture_uri:
        print(
            f"capture  {stack.capture_uri} (manifests under input/ and output/ by hour)",
            file=out,
        )
    added = [*stack.response_keys, *(INFERENCE_ID_COLUMNS if stack.capture_uri else ())]
    print(f"wrote {destination} (your columns + {', '.join(added)})", file=out)
    summary: dict[str, Any] = {"job_name": name, "rows": prepared.rows, "output": destination}
    if prepared.labels is not None:
        summary["metrics"] = report_metrics(
            prepared.labels, predictions, stack, args.probability_semantics, out
        )
    return summary


def report_metrics(
    labels: list[str], predictions: list[Any], stack: BatchTarget, semantics: str, out: TextIO
) -> dict[str, Any] | None:
    """The metrics of ``make evaluate``, for the rows whose target the input holds."""
    from cli import metrics, report

    if any(p.label is None for p in predictions):
        print("\nno metrics: InferenceResponseKeys has no predicted_label", file=out)
        return None
    scored = metrics.evaluate(labels, predictions, stack.positive_class, semantics)
    document = {
        "confusion_matrix": scored.matrix.as_dict(),
        "metrics": scored.values,
        "positive_class": stack.positive_class,
        "negative_class": scored.negative_class,
        "auc_source": scored.auc_source,
        "autopilot_objective_metric": stack.objective,
    }
    print(f"\n{len(labels)} rows with their true value:", file=out)
    print(report.format_metrics(document), file=out)
    return document
