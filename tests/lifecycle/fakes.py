"""The account the lifecycle harness deploys into: moto, plus what moto cannot do.

moto (``mock_aws``) holds EC2, EFS, S3, IAM and KMS, and SageMaker's domains, AutoML jobs,
models, endpoint configs and endpoints. ``Account`` adds, on the same clients:

- the SageMaker calls moto does not implement (user profiles, apps, spaces,
  UpdateEndpoint with deployment guardrails and rollback alarms, monitoring schedules,
  the Service Catalog portfolio status) and Service Catalog's shares
  and principal associations, answered from small in-memory tables;
- the states moto skips: AutoML jobs train for a while, then complete with a best
  candidate, and stop through ``Stopping``; endpoints go ``Creating``/``Updating``/
  ``Deleting`` before they settle; DeleteDomain refuses while profiles, apps or spaces
  remain, and DeleteEndpoint while a monitoring schedule is on the endpoint, as SageMaker
  does; a schedule is ``Pending`` (undeletable) for a while after it is created;
  UpdateEndpoint refuses to change a scaled variant's instance type;
- a domain's side effects: CreateDomain creates the home EFS with a mount target per
  subnet and the ``security-group-for-{inbound,outbound}-nfs-<domainId>`` groups, all
  tagged ``ManagedByAmazonSageMakerResource = <domain ARN>``; DeleteDomain keeps them
  (docs/ARCHITECTURE.md, "Studio facts"; CloudFormation's domain handler passes no
  retention policy);
- CloudFormation's DescribeStacks for the stack the harness is running;
- the AutoML wait's Step Functions executions: StartExecution/StopExecution, and a
  running execution that looks at its job every ``WAIT_POLL_TICKS`` (its Wait state)
  and, once the job has ended, runs the real signal function (``automl_wait``), whose
  HTTP PUT lands in ``wait_signals`` (``FakeInternet``);
- injected faults: one ClientError for a named operation.

Every request, faked or not, goes through a real botocore client, so botocore's
``ParamValidator`` checks it against the service model before the fake sees it (the
fake answers in ``before-call``, which botocore emits after validation).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import boto3
from botocore.awsrequest import AWSResponse
from moto.sagemaker.models import sagemaker_backends

from tests.fixtures import ACCOUNT, REGION
from tests.lifecycle.iam import Ledger, Requests, RolePolicies, state_machine_kms
from tools.synthetic.bank import bank_rows, comma_csv, sample_zip

# The account the templates are synthesized for (tests/synth.py), so that ARNs the
# template spells out literally match the offline account's; moto reads MOTO_ACCOUNT_ID.
SAGEMAKER_TAG = "ManagedByAmazonSageMakerResource"
SERVICE_CATALOG_ROLE_PREFIX = "AmazonSageMakerServiceCatalogProducts"
# How many harness ticks (30 s each) things take.
AUTOML_TRAINING_TICKS = 12
ENDPOINT_CREATING_TICKS = 4
BASELINE_TICKS = 6
SETTLE_TICKS = 2
# Autopilot winds down its training and processing jobs for minutes after StopAutoMLJob;
# the harness deletes plumbing (functions, roles) a tick each, slower than AWS does.
STOPPING_TICKS = 20
WAIT_POLL_TICKS = 2  # the state machine's one-minute Wait
S3_WRITES = frozenset(
    {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject"}
)


class _Reply(Exception):
    """An AWS error answer from a fake."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _response(status: int, parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
    return AWSResponse("https://fake.invalid", status, {}, None), parsed


class Baton:
    """Runs several jobs (stack operations) side by side, deterministically.

    Each job runs in a thread of its own, but only the holder of the baton runs: a job
    hands it on at every AWS request and every tick, round robin. Two stacks' deletes
    thereby interleave request by request, as two CloudFormation stacks' handlers do.
    """

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._order: list[int] = []
        self._holder: int | None = None

    def run(self, *jobs: Callable[[], Any]) -> list[Any]:
        results: list[Any] = [None] * len(jobs)
        threads = [
            threading.Thread(target=self._job, args=(job, results, n)) for n, job in enumerate(jobs)
        ]
        for thread in threads:
            thread.start()
        with self._turn:
            self._order = [t.ident for t in threads]
            self._holder = self._order[0]
            self._turn.notify_all()
        for thread in threads:
            thread.join()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        return results

    def _job(self, job: Callable[[], Any], results: list[Any], n: int) -> None:
        me = threading.get_ident()
        with self._turn:
            self._turn.wait_for(lambda: self._holder == me)
        try:
            results[n] = job()
        except BaseException as error:  # reported by run()
            results[n] = error
        finally:
            with self._turn:
                position = self._order.index(me)
                self._order.remove(me)
                self._hand_on(position)

    def checkpoint(self) -> None:
        me = threading.get_ident()
        with self._turn:
            if me not in self._order:
                return
            self._hand_on(self._order.index(me) + 1)
            self._turn.wait_for(lambda: self._holder == me)

    def _hand_on(self, position: int) -> None:
        """To the job at ``position`` in the round (wrapping), or to nobody when all ended."""
        self._holder = self._order[position % len(self._order)] if self._order else None
        self._turn.notify_all()


@dataclass
class _Timer:
    due: int
    action: Callable[[], None]


@functools.cache
def _client(service: str, hooked: bool):
    """One client per service for the whole session: creating clients is slow.

    moto answers any client while a mock is active; the hooks answer for whichever
    ``Account`` is current.
    """
    client = boto3.client(service, region_name=REGION)
    if hooked:
        client.meta.events.register("before-parameter-build", _remember_params)
        client.meta.events.register("before-call", _answer)
    return client


def _in_domain(
    statuses: dict[tuple[str, str], str], name_key: str, domain_id: str | None
) -> list[dict[str, str]]:
    """List entries of (domain, name) -> status, of one domain or of all."""
    return [
        {"DomainId": domain, name_key: name, "Status": status}
        for (domain, name), status in statuses.items()
        if domain_id in (None, domain)
    ]


def _remember_params(params, context, **_):
    context["api_params"] = dict(params)


def _answer(**kwargs):
    return Account.current._answer(**kwargs)


@dataclass
class Account:
    """One offline AWS account and region, advanced tick by tick by the engine."""

    stack_status: Callable[[str], str | None] = lambda stack_id: None
    now: int = 0
    profiles: dict[tuple[str, str], str] = field(default_factory=dict)
    apps: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    spaces: dict[tuple[str, str], str] = field(default_factory=dict)
    portfolio_enabled: bool = False
    # (SNS topic ARN, alarm name) of every alarm notification sent.
    notifications: list[tuple[str, str]] = field(default_factory=list)
    # SageMaker projects users made from the portfolio's templates: name -> ProjectStatus.
    projects: dict[str, str] = field(default_factory=dict)
    associations: set[str] = field(default_factory=set)
    faults: dict[tuple[str, str], str] = field(default_factory=dict)
    failing_key_suffix: str | None = None  # every S3 write of such a key fails
    next_job_fails: bool = False
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (endpoint, config, ticks) of every blue/green deployment UpdateEndpoint started, and
    # what happens to traffic once the new fleet takes some (a test trips an alarm there).
    deployments: list[tuple[str, str, int]] = field(default_factory=list)
    on_deployment: Callable[[], None] | None = None
    job_training_ticks: int = AUTOML_TRAINING_TICKS
    executions: dict[str, str] = field(default_factory=dict)  # ARN -> status
    wait_signals: dict[str, dict[str, str]] = field(default_factory=dict)  # handle URL -> body
    calls: list[str] = field(default_factory=list)
    # Harm the account check reports: work billed after a rollback, data lost under a job.
    incidents: list[str] = field(default_factory=list)
    # IAM: who is calling (a handler's role), what was evaluated and denied.
    iam: Ledger = field(default_factory=Ledger)
    # Set while stacks run side by side (``Baton``): they take turns at each request.
    baton: Baton | None = None
    _local: threading.local = field(default_factory=threading.local)
    # Physical ID -> type of the native resources the harness keeps no other state of.
    natives: dict[str, str] = field(default_factory=dict)
    # State machine ARN -> (its role, the role's policies, its key ARN or "", the ARN of
    # the function its Lambda task invokes).
    state_machines: dict[str, tuple[str, RolePolicies, str, str]] = field(default_factory=dict)
    _timers: list[_Timer] = field(default_factory=list)
    current: ClassVar[Account]

    # -- clients ------------------------------------------------------------------------

    def __post_init__(self) -> None:
        Account.current = self
        self.requests = Requests(self)

    @property
    def principal(self) -> tuple[str, RolePolicies] | None:
        """The role the current handler runs as (per thread: stacks may run side by side)."""
        return getattr(self._local, "principal", None)

    @principal.setter
    def principal(self, value: tuple[str, RolePolicies] | None) -> None:
        self._local.principal = value

    @contextlib.contextmanager
    def acting_as(self, label: str, policies: RolePolicies):
        outer, self.principal = self.principal, (label, policies)
        try:
            yield
        finally:
            self.principal = outer

    def authorize(self, label: str, policies: RolePolicies, found) -> bool:
        """Evaluate authorizations as IAM would; denials are recorded for the account check."""
        return self.iam.check(label, policies.statements(), found)

    # -- what IAM needs to know of the account ------------------------------------------

    @property
    def state_machine_keys(self) -> dict[str, str]:
        return {arn: info[2] for arn, info in self.state_machines.items() if info[2]}

    def bucket_key(self, bucket: str) -> str | None:
        """The bucket's default SSE-KMS key ARN, if it has one."""
        try:
            rules = self.moto("s3").get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except Exception:  # no bucket, or no encryption configured
            return None
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        return default.get("KMSMasterKeyID") if default["SSEAlgorithm"] == "aws:kms" else None

    def role_path_and_tags(self, name: str) -> tuple[str, dict[str, str]]:
        """An existing role's path and tags; a role not there yet: the Projects roles' path."""
        # Read from moto's IAM state directly: IAM is evaluated on every request, and a
        # GetRole round trip each time was a fifth of the harness's time.
        from moto.iam.models import iam_backends

        try:
            role = iam_backends[ACCOUNT]["global"].get_role(name)
        except Exception:
            from projects_enablement.role_specs import ROLE_PATH

            return ROLE_PATH, {}
        return role.path, {tag["Key"]: tag["Value"] for tag in role.tags}

    def client(self, service: str):
        """The client handlers get: validated by botocore, answered by moto or a fake."""
        return _client(service, hooked=True)

    def moto(self, service: str):
        """A client straight to moto, for the fakes and the account check."""
        return _client(service, hooked=False)

    def _answer(self, model, context, **_):
        service = model.service_model.service_name
        operation = model.name
        self.calls.append(f"{service}:{operation}")
        if self.baton is not None:
            self.baton.checkpoint()
        fault = self.faults.pop((service, operation), None)
        params = context.get("api_params", {})
        try:
            if self.principal is not None:
                label, policies = self.principal
                found = self.requests.of(service, operation, params)
                if not self.authorize(label, policies, found):
                    raise _Reply(
                        "AccessDenied" if service in ("s3", "iam") else "AccessDeniedException",
                        f"{label} is not authorized to perform {service}:{operation}",
                    )
            if fault:
                raise _Reply(fault, f"injected failure of {operation}", 500)
            key = str(params.get("Key", ""))
            if (
                service == "s3"
                and operation in S3_WRITES
                and self.failing_key_suffix
                and (key.endswith(self.failing_key_suffix))
            ):
                raise _Reply("InternalError", f"injected failure writing {key}", 500)
            fake = getattr(self, f"_{service.replace('-', '_')}_{operation}", None)
            if fake is None:
                return None  # moto answers
            return _response(200, fake(**params) or {})
        except _Reply as reply:
            error = {"Code": reply.code, "Message": reply.message}
            return _response(reply.status, {"Error": error})

    def fail_next(self, service: str, operation: str, code: str = "InternalFailure") -> None:
        self.faults[(service, operation)] = code

    # -- CloudWatch: Lambda's own metrics and the alarms on every metric -----------------

    def lambda_error(self, function_name: str) -> None:
        """What Lambda records for a failed invocation: one Errors datapoint."""
        self.moto("cloudwatch").put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
                    "Value": 1,
                }
            ],
        )

    def evaluate_alarms(self) -> None:
        """CloudWatch's part moto leaves out: alarms on plain metrics go into ALARM over
        the data recorded so far, and notify their actions (the SNS topics)."""
        import datetime

        cloudwatch = self.moto("cloudwatch")
        compare = {
            "GreaterThanThreshold": lambda v, t: v > t,
            "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
            "LessThanThreshold": lambda v, t: v < t,
            "LessThanOrEqualToThreshold": lambda v, t: v <= t,
        }
        now = datetime.datetime.now(datetime.UTC)
        for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
            if "MetricName" not in alarm or alarm["StateValue"] == "ALARM":
                continue
            statistic = alarm.get("Statistic", "Maximum")
            points = cloudwatch.get_metric_statistics(
                Namespace=alarm["Namespace"],
                MetricName=alarm["MetricName"],
                Dimensions=alarm.get("Dimensions", []),
                StartTime=now - datetime.timedelta(days=30),
                EndTime=now + datetime.timedelta(days=30),
                Period=86400 * 60,
                Statistics=[statistic],
            )["Datapoints"]
            values = [p[statistic] for p in points]
            if values and compare[alarm["ComparisonOperator"]](max(values), alarm["Threshold"]):
                cloudwatch.set_alarm_state(
                    AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason="threshold"
                )
                self.notifications += [(t, alarm["AlarmName"]) for t in alarm["AlarmActions"]]

    # -- time ---------------------------------------------------------------------------

    def later(self, ticks: int, action: Callable[[], None]) -> None:
        self._timers.append(_Timer(self.now + ticks, action))

    def tick(self) -> None:
        if self.baton is not None:
            self.baton.checkpoint()
        self.now += 1
        due = [t for t in self._timers if t.due <= self.now]
        self._timers = [t for t in self._timers if t.due > self.now]
        for timer in due:
            timer.action()

    @property
    def _sm(self):
        return sagemaker_backends[ACCOUNT][REGION]

    # -- SageMaker: domains and their side effects ---------------------------------------

    def _sagemaker_CreateDomain(self, **params):
        created = self.moto("sagemaker").create_domain(**params)
        # moto names a domain d-<DomainName>; SageMaker's IDs are d- and 12 [a-z0-9].
        domain = self._sm.domains.pop(created["DomainArn"].rsplit("/", 1)[1])
        domain.id = "d-" + hashlib.sha256(params["DomainName"].encode()).hexdigest()[:12]
        domain.arn = domain.arn.rsplit("/", 1)[0] + "/" + domain.id
        self._sm.domains[domain.id] = domain
        created["DomainArn"] = domain_arn = domain.arn
        domain_id = domain.id
        tags = [{"Key": SAGEMAKER_TAG, "Value": domain_arn}]
        ec2, efs = self.moto("ec2"), self.moto("efs")
        groups = {}
        for direction in ("inbound", "outbound"):
            groups[direction] = ec2.create_security_group(
                GroupName=f"security-group-for-{direction}-nfs-{domain_id}",
                Description=f"NFS {direction} for {domain_id}",
                VpcId=params["VpcId"],
                TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
            )["GroupId"]
        file_system = efs.create_file_system(
            CreationToken=domain_id, Tags=[*tags, {"Key": "Name", "Value": domain_id}]
        )["FileSystemId"]
        for subnet in params["SubnetIds"]:
            efs.create_mount_target(
                FileSystemId=file_system, SubnetId=subnet, SecurityGroups=[groups["inbound"]]
            )
        self._sm.domains[domain_id].home_efs_file_system_id = file_system
        return created

    def _sagemaker_DeleteDomain(self, DomainId, **params):
        blockers = [p for (d, p) in self.profiles if d == DomainId]
        blockers += [s for (d, s) in self.spaces if d == DomainId]
        if blockers:
            raise _Reply(
                "ResourceInUse", f"domain {DomainId} still has profiles or spaces: {blockers}"
            )
        self.moto("sagemaker").delete_domain(DomainId=DomainId, **params)

    # -- user profiles, apps and spaces (not in moto) ------------------------------------

    def _domain_must_exist(self, domain_id: str) -> None:
        if domain_id not in self._sm.domains:
            raise _Reply("ResourceNotFound", f"Domain {domain_id} does not exist")

    def _sagemaker_CreateUserProfile(self, DomainId, UserProfileName, **_):
        self._domain_must_exist(DomainId)
        if (DomainId, UserProfileName) in self.profiles:
            raise _Reply("ResourceInUse", f"profile {UserProfileName} already exists")
        self.profiles[(DomainId, UserProfileName)] = "InService"
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{DomainId}/{UserProfileName}"
        return {"UserProfileArn": arn}

    def _sagemaker_DescribeUserProfile(self, DomainId, UserProfileName):
        if (DomainId, UserProfileName) not in self.profiles:
            raise _Reply("ResourceNotFound", f"profile {UserProfileName} does not exist")
        return {"DomainId": DomainId, "UserProfileName": UserProfileName, "Status": "InService"}

    def _sagemaker_ListUserProfiles(self, DomainIdEquals=None, **_):
        return {"UserProfiles": _in_domain(self.profiles, "UserProfileName", DomainIdEquals)}

    def _sagemaker_DeleteUserProfile(self, DomainId, UserProfileName):
        if (DomainId, UserProfileName) not in self.profiles:
            raise _Reply("ResourceNotFound", f"profile {UserProfileName} does not exist")
        owned = [a for a in self.apps if a[0] == DomainId and a[3] == UserProfileName]
        owned += [s for s in self.spaces if s[0] == DomainId]
        if any(self.apps.get(a) not in ("Deleted", None) for a in owned if len(a) == 4):
            raise _Reply("ResourceInUse", f"profile {UserProfileName} still has apps")
        del self.profiles[(DomainId, UserProfileName)]

    def _sagemaker_CreateSpace(self, DomainId, SpaceName, **_):
        self._domain_must_exist(DomainId)
        self.spaces[(DomainId, SpaceName)] = "InService"
        return {"SpaceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{DomainId}/{SpaceName}"}

    def _sagemaker_ListSpaces(self, DomainIdEquals=None, **_):
        return {"Spaces": _in_domain(self.spaces, "SpaceName", DomainIdEquals)}

    def _sagemaker_DeleteSpace(self, DomainId, SpaceName):
        key = (DomainId, SpaceName)
        if key not in self.spaces:
            raise _Reply("ResourceNotFound", f"space {SpaceName} does not exist")
        if any(
            a[0] == DomainId and a[3] == SpaceName and s != "Deleted" for a, s in self.apps.items()
        ):
            raise _Reply("ResourceInUse", f"space {SpaceName} still has apps")
        self.spaces[key] = "Deleting"
        self.later(SETTLE_TICKS, lambda: self.spaces.pop(key, None))

    def _sagemaker_CreateApp(
        self, DomainId, AppType, AppName, SpaceName=None, UserProfileName=None, **_
    ):
        self._domain_must_exist(DomainId)
        self.apps[(DomainId, AppType, AppName, SpaceName or UserProfileName)] = "InService"
        return {"AppArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{DomainId}/{AppName}"}

    def _sagemaker_ListApps(self, DomainIdEquals=None, **_):
        apps = []
        for (d, app_type, name, owner), status in self.apps.items():
            if DomainIdEquals not in (None, d):
                continue
            owner_key = "SpaceName" if (d, owner) in self.spaces else "UserProfileName"
            apps.append(
                {
                    "DomainId": d,
                    "AppType": app_type,
                    "AppName": name,
                    "Status": status,
                    owner_key: owner,
                }
            )
        return {"Apps": apps}

    def _sagemaker_DeleteApp(
        self, DomainId, AppType, AppName, SpaceName=None, UserProfileName=None
    ):
        key = (DomainId, AppType, AppName, SpaceName or UserProfileName)
        if self.apps.get(key) in (None, "Deleted"):
            raise _Reply("ResourceNotFound", f"app {AppName} does not exist")
        self.apps[key] = "Deleting"
        self.later(SETTLE_TICKS, lambda: self.apps.__setitem__(key, "Deleted"))

    # -- AutoML jobs and endpoints: states across polls ----------------------------------

    def _sagemaker_CreateAutoMLJobV2(self, **params):
        created = self.moto("sagemaker").create_auto_ml_job_v2(**params)
        name = params["AutoMLJobName"]
        fails, self.next_job_fails = self.next_job_fails, False
        self.later(self.job_training_ticks, lambda: self._finish_job(name, fails))
        return {"AutoMLJobArn": created["AutoMLJobArn"]}

    def _finish_job(self, name: str, fails: bool = False) -> None:
        job = self._sm.auto_ml_jobs[name]
        if job.auto_ml_job_status != "InProgress":
            return
        if fails:
            job.auto_ml_job_status = "Failed"
            job.auto_ml_job_secondary_status = "Failed"
            job.failure_reason = "ClientError: insufficient capacity for ml.m5.2xlarge"
            return
        job.auto_ml_job_status = "Completed"
        job.auto_ml_job_secondary_status = "Completed"
        job.best_candidate = _candidate(name)
        status = self.stack_status("") or ""
        if "ROLLBACK" in status or status.startswith("DELETE"):
            self.incidents.append(
                f"AutoML job {name} trained to the end after its stack was {status}"
            )

    def bucket_emptied(self, bucket: str) -> None:
        """CDK's auto-delete ran: a job still writing there loses its output."""
        for name, job in self._sm.auto_ml_jobs.items():
            output = job.output_data_config.get("S3OutputPath", "")
            if job.auto_ml_job_status in ("InProgress", "Stopping") and f"//{bucket}/" in output:
                self.incidents.append(
                    f"bucket {bucket} emptied while AutoML job {name} was {job.auto_ml_job_status}"
                )
        for name, endpoint in self._sm.endpoints.items():
            config = self._sm.endpoint_configs.get(endpoint.endpoint_config_name)
            capture = (getattr(config, "data_capture_config", None) or {}).get(
                "DestinationS3Uri", ""
            )
            if f"//{bucket}/" in f"{capture}/":
                self.incidents.append(
                    f"bucket {bucket} emptied while endpoint {name} "
                    f"({endpoint.endpoint_status}) still captured into it"
                )

    def _sagemaker_StopAutoMLJob(self, AutoMLJobName):
        job = self._sm.auto_ml_jobs.get(AutoMLJobName)
        if job is None:
            raise _Reply("ResourceNotFound", f"job {AutoMLJobName} does not exist")
        if job.auto_ml_job_status != "InProgress":
            raise _Reply("ValidationException", f"job {AutoMLJobName} is not InProgress")
        job.auto_ml_job_status = "Stopping"

        def stopped() -> None:
            job.auto_ml_job_status = "Stopped"
            job.auto_ml_job_secondary_status = "Stopped"

        self.later(STOPPING_TICKS, stopped)

    def _sagemaker_CreateModel(self, ModelName, **params):
        if ModelName in self._sm._models:
            raise _Reply(
                "ValidationException", f'Cannot create already existing model "{ModelName}".'
            )
        return self.moto("sagemaker").create_model(ModelName=ModelName, **params)

    def _sagemaker_CreateEndpointConfig(self, EndpointConfigName, **params):
        if EndpointConfigName in self._sm.endpoint_configs:
            raise _Reply(
                "ValidationException",
                f'Cannot create already existing endpoint configuration "{EndpointConfigName}".',
            )
        return self.moto("sagemaker").create_endpoint_config(
            EndpointConfigName=EndpointConfigName, **params
        )

    def _sagemaker_CreateEndpoint(self, **params):
        created = self.moto("sagemaker").create_endpoint(**params)
        self._settle_endpoint(params["EndpointName"], "Creating")
        return created

    def _settle_endpoint(self, name: str, status: str) -> None:
        endpoint = self._sm.endpoints[name]
        endpoint.endpoint_status = status

        def in_service() -> None:
            if self._sm.endpoints.get(name) is endpoint and endpoint.endpoint_status == status:
                endpoint.endpoint_status = "InService"

        self.later(ENDPOINT_CREATING_TICKS, in_service)

    def _sagemaker_UpdateEndpoint(self, EndpointName, EndpointConfigName, **params):
        """Blue/green under the DeploymentConfig: provision, shift traffic step by step,
        bake; a rollback alarm in ALARM during shifting or baking returns all traffic to
        the old config (AWS docs, "Deployment guardrails")."""
        endpoint = self._sm.endpoints.get(EndpointName)
        if endpoint is None:
            raise _Reply("ValidationException", f"Could not find endpoint {EndpointName}")
        if endpoint.endpoint_status != "InService":
            raise _Reply("ValidationException", f"endpoint {EndpointName} is not InService")
        new = self.moto("sagemaker").describe_endpoint_config(EndpointConfigName=EndpointConfigName)
        old = self.moto("sagemaker").describe_endpoint_config(
            EndpointConfigName=endpoint.endpoint_config_name
        )
        self._refuse_scaled_instance_type_change(EndpointName, old, new)
        deployment = params.get("DeploymentConfig") or {}
        endpoint.endpoint_status = "Updating"
        old_config = endpoint.endpoint_config_name
        steps = _deployment_ticks(deployment)
        alarms = [
            a["AlarmName"]
            for a in deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])
        ]
        self.deployments.append((EndpointName, EndpointConfigName, steps))

        def step(remaining: int) -> None:
            if self._sm.endpoints.get(EndpointName) is not endpoint:
                return
            shifting = remaining <= steps - ENDPOINT_CREATING_TICKS
            if shifting and remaining == steps - ENDPOINT_CREATING_TICKS and self.on_deployment:
                self.on_deployment()  # the new fleet takes its first traffic
            if shifting and self._in_alarm(alarms):
                endpoint.endpoint_config_name = old_config
                endpoint.endpoint_status = "InService"
                endpoint.failure_reason = (
                    f"Rolled back to {old_config}: alarm {self._in_alarm(alarms)} went into ALARM"
                )
                return
            if remaining == 0:
                endpoint.endpoint_config_name = EndpointConfigName
                endpoint.endpoint_status = "InService"
                return
            self.later(1, lambda: step(remaining - 1))

        self.later(1, lambda: step(steps))
        return {"EndpointArn": endpoint.arn}

    def _sagemaker_DescribeEndpoint(self, EndpointName):
        described = self.moto("sagemaker").describe_endpoint(EndpointName=EndpointName)
        reason = getattr(self._sm.endpoints[EndpointName], "failure_reason", None)
        if reason:
            described["FailureReason"] = reason
        described.pop("ResponseMetadata", None)
        return described

    def _in_alarm(self, names: list[str]) -> str | None:
        if not names:
            return None
        alarms = self.moto("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        return next((a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM"), None)

    def _refuse_scaled_instance_type_change(self, endpoint: str, old, new) -> None:
        """Application Auto Scaling refuses an update that changes a scaled variant's type
        (AWS docs, "Update endpoints that use auto scaling")."""
        old_types = {v["VariantName"]: v["InstanceType"] for v in old["ProductionVariants"]}
        targets = self.moto("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="sagemaker"
        )["ScalableTargets"]
        for variant in new["ProductionVariants"]:
            resource = f"endpoint/{endpoint}/variant/{variant['VariantName']}"
            registered = any(t["ResourceId"] == resource for t in targets)
            if registered and old_types.get(variant["VariantName"]) != variant["InstanceType"]:
                raise _Reply(
                    "ValidationException",
                    f"The variant {variant['VariantName']} of {endpoint} is a scalable target; "
                    "deregister it before changing its instance type",
                )

    def _sagemaker_DeleteEndpoint(self, EndpointName):
        endpoint = self._sm.endpoints.get(EndpointName)
        if endpoint is None:
            raise _Reply("ValidationException", f"Could not find endpoint {EndpointName}")
        blocking = [n for n, s in self.schedules.items() if s["EndpointName"] == EndpointName]
        if blocking:
            raise _Reply(
                "ValidationException",
                f"Endpoint {EndpointName} has monitoring schedules {blocking}; delete them first",
            )
        if endpoint.endpoint_status in ("Creating", "Updating", "Deleting"):
            raise _Reply("ValidationException", f"endpoint is {endpoint.endpoint_status}")
        endpoint.endpoint_status = "Deleting"
        self.later(SETTLE_TICKS, lambda: self._sm.endpoints.pop(EndpointName, None))

    # -- monitoring schedules (Model Monitor customers may add them by hand) ------------

    def _sagemaker_CreateMonitoringSchedule(self, MonitoringScheduleName, **params):
        if MonitoringScheduleName in self.schedules:
            raise _Reply("ResourceInUse", f"schedule {MonitoringScheduleName} already exists")
        config = params["MonitoringScheduleConfig"]
        definition = config.get("MonitoringJobDefinitionName")
        endpoint = None
        if definition is not None:
            found = self._sm.data_quality_job_definitions.get(definition)
            if found is None:
                raise _Reply("ValidationException", f"job definition {definition} not found")
            endpoint = found.data_quality_job_input["EndpointInput"]["EndpointName"]
        else:
            job_input = config["MonitoringJobDefinition"]["MonitoringInputs"][0]
            endpoint = job_input["EndpointInput"]["EndpointName"]
        if endpoint not in self._sm.endpoints:
            raise _Reply("ValidationException", f"Could not find endpoint {endpoint}")
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{MonitoringScheduleName}"
        schedule = {
            "MonitoringScheduleName": MonitoringScheduleName,
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleStatus": "Pending",
            "EndpointName": endpoint,
            "MonitoringType": config.get("MonitoringType", "DataQuality"),
            "MonitoringJobDefinitionName": definition,
            "CreationTime": "2026-01-01T00:00:00Z",
            "LastModifiedTime": "2026-01-01T00:00:00Z",
        }
        self.schedules[MonitoringScheduleName] = schedule
        self.later(
            SETTLE_TICKS, lambda: schedule.__setitem__("MonitoringScheduleStatus", "Scheduled")
        )
        return {"MonitoringScheduleArn": arn}

    def _schedule(self, name: str) -> dict[str, Any]:
        schedule = self.schedules.get(name)
        if schedule is None:
            raise _Reply("ResourceNotFound", f"Monitoring schedule {name} does not exist")
        return schedule

    def _sagemaker_DescribeMonitoringSchedule(self, MonitoringScheduleName):
        schedule = self._schedule(MonitoringScheduleName)
        return {k: v for k, v in schedule.items() if v is not None and k != "Deleting"}

    def _sagemaker_ListMonitoringSchedules(self, EndpointName=None, **_):
        summaries = [
            {k: v for k, v in s.items() if v is not None and k != "Deleting"}
            for s in self.schedules.values()
            if EndpointName in (None, s["EndpointName"])
        ]
        return {"MonitoringScheduleSummaries": summaries}

    def _sagemaker_DeleteMonitoringSchedule(self, MonitoringScheduleName):
        schedule = self._schedule(MonitoringScheduleName)
        if schedule["MonitoringScheduleStatus"] == "Pending":
            raise _Reply(
                "ValidationException",
                f"Monitoring schedule {MonitoringScheduleName} is Pending and cannot be deleted",
            )
        if not schedule.get("Deleting"):
            schedule["Deleting"] = True
            self.later(1, lambda: self.schedules.pop(MonitoringScheduleName, None))

    # -- Step Functions: the AutoML wait's executions -------------------------------------

    def _stepfunctions_StartExecution(self, stateMachineArn, name, input, **_):
        arn = f"{stateMachineArn.replace(':stateMachine:', ':execution:', 1)}:{name}"
        if arn in self.executions:
            raise _Reply("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        self.executions[arn] = "RUNNING"
        self.later(0, lambda: self._wait_poll(arn, json.loads(input)))
        return {"executionArn": arn, "startDate": "2026-01-01T00:00:00Z"}

    def _wait_poll(self, arn: str, state: dict[str, Any]) -> None:
        """DescribeJob, then Choice: Wait a minute, or signal the wait condition and end."""
        if self.executions[arn] != "RUNNING":
            return
        machine = arn.replace(":execution:", ":stateMachine:", 1).rsplit(":", 1)[0]
        if not self._execution_may(machine, "sagemaker:DescribeAutoMLJobV2", state["JobName"]):
            self.executions[arn] = "FAILED"
            return
        job = self.moto("sagemaker").describe_auto_ml_job_v2(AutoMLJobName=state["JobName"])
        if job["AutoMLJobStatus"] in ("InProgress", "Stopping"):
            self.later(WAIT_POLL_TICKS, lambda: self._wait_poll(arn, state))
            return
        from automl_wait import handler as signal

        job = json.loads(json.dumps(job, default=str))  # as the SDK integration hands it on
        if not self._execution_may(machine, "lambda:InvokeFunction", state["JobName"]):
            self.executions[arn] = "FAILED"
            return
        try:
            signal.handler({**state, "Job": job})
        except Exception:  # a refused PUT fails the execution, visibly
            self.executions[arn] = "FAILED"
            return
        self.executions[arn] = "SUCCEEDED"

    def _execution_may(self, machine: str, action: str, job_name: str) -> bool:
        """The execution role's rights for one state: the task's call and the history's KMS."""
        from tests.lifecycle.iam import Authorization

        label, policies, key, function = self.state_machines[machine]
        resource = (
            function
            if action.startswith("lambda:")
            else f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/{job_name}"
        )
        found = [Authorization(action, resource)]
        if key:
            found += [
                state_machine_kms(kms, key, machine)
                for kms in ("kms:GenerateDataKey", "kms:Decrypt")
            ]
        return self.authorize(label, policies, found)

    def _stepfunctions_StopExecution(self, executionArn, **_):
        if executionArn not in self.executions:
            raise _Reply("ExecutionDoesNotExist", f"Execution Does Not Exist: '{executionArn}'")
        if self.executions[executionArn] == "RUNNING":
            self.executions[executionArn] = "ABORTED"
        return {"stopDate": "2026-01-01T00:00:00Z"}

    def signal_received(self, url: str, body: bytes) -> None:
        self.wait_signals.setdefault(url, json.loads(body))

    # -- Projects: portfolio status, shares, associations and users' projects ------------

    def _sagemaker_ListProjects(self, **_):
        summaries = [
            {
                "ProjectName": name,
                "ProjectArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:project/{name}",
                "ProjectId": f"p-{name}",
                "CreationTime": "2026-01-01T00:00:00Z",
                "ProjectStatus": status,
            }
            for name, status in self.projects.items()
        ]
        return {"ProjectSummaryList": summaries}

    def _sagemaker_GetSagemakerServicecatalogPortfolioStatus(self):
        return {"Status": "Enabled" if self.portfolio_enabled else "Disabled"}

    def _sagemaker_EnableSagemakerServicecatalogPortfolio(self):
        self.portfolio_enabled = True

    def _sagemaker_DisableSagemakerServicecatalogPortfolio(self):
        self.portfolio_enabled = False

    def _servicecatalog_ListAcceptedPortfolioShares(self, **_):
        if not self.portfolio_enabled:
            return {"PortfolioDetails": []}
        detail = {"Id": "port-sagemaker01", "ProviderName": "Amazon SageMaker"}
        return {"PortfolioDetails": [detail]}

    def _servicecatalog_AssociatePrincipalWithPortfolio(self, PrincipalARN, **_):
        self.associations.add(PrincipalARN)

    def _servicecatalog_DisassociatePrincipalFromPortfolio(self, PrincipalARN, **_):
        if PrincipalARN not in self.associations:
            raise _Reply("ResourceNotFoundException", f"{PrincipalARN} is not associated")
        self.associations.discard(PrincipalARN)

    def _servicecatalog_ListPrincipalsForPortfolio(self, **_):
        principals = [
            {"PrincipalARN": arn, "PrincipalType": "IAM"} for arn in sorted(self.associations)
        ]
        return {"Principals": principals}

    # -- CloudFormation: the harness's own stack -----------------------------------------

    def _cloudformation_DescribeStacks(self, StackName=None, **_):
        status = self.stack_status(StackName or "")
        if status is None:
            raise _Reply("ValidationError", f"Stack with id {StackName} does not exist")
        return {
            "Stacks": [
                {
                    "StackId": StackName,
                    "StackName": StackName.split("/")[1] if "/" in StackName else StackName,
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "StackStatus": status,
                }
            ]
        }

    # -- user actions -------------------------------------------------------------------

    def users_start_work(self, domain_id: str, extra_profile: str = "data-scientist") -> None:
        """What users do in Studio: a profile of their own, a space, and running apps."""
        sagemaker = self.client("sagemaker")
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=extra_profile)
        sagemaker.create_space(
            DomainId=domain_id,
            SpaceName="team-notebooks",
            OwnershipSettings={"OwnerUserProfileName": extra_profile},
        )
        sagemaker.create_app(
            DomainId=domain_id, SpaceName="team-notebooks", AppType="JupyterLab", AppName="default"
        )
        sagemaker.create_app(
            DomainId=domain_id,
            UserProfileName=extra_profile,
            AppType="JupyterServer",
            AppName="default",
        )


def _candidate(job_name: str) -> dict[str, Any]:
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:1.1-cpu-py311"
    return {
        "CandidateName": f"{job_name}-t1-WeightedEnsemble",
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": 0.64},
        "ObjectiveStatus": "Succeeded",
        "CandidateStatus": "Completed",
        "CandidateSteps": [],
        "InferenceContainers": [
            {
                "Image": image,
                "ModelDataUrl": f"s3://placeholder/{job_name}/model.tar.gz",
                "Environment": {
                    "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,labels",
                },
            }
        ],
    }


@functools.cache
def _sample_body() -> bytes:
    """The zipped sample, the same bytes for every scenario (generating it costs 40 ms)."""
    return sample_zip(comma_csv(bank_rows(700)))


class FakeInternet:
    """``urllib.request.urlopen`` for the public bank-marketing sample: a small synthetic copy."""

    def __init__(self) -> None:
        self.body = _sample_body()

    def urlopen(self, request, timeout=None):
        if getattr(request, "method", None) == "PUT":  # a wait condition signal
            Account.current.signal_received(request.full_url, request.data)
            return _HttpResponse(b"")
        return _HttpResponse(self.body)


class _HttpResponse(io.BytesIO):
    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body))}
        self.status = 200


def leaks(
    account: Account,
    *,
    retains_data: bool,
    bucket: str,
    roles_before: set[str],
    kept: set[str],
    kept_ids: frozenset[str] = frozenset(),
) -> list[str]:
    """The account check after a scenario: everything left behind, one line each.

    Nothing runs or serves; no endpoint, config, model, monitoring schedule, scalable
    target, scaling policy, alarm, function, topic or rule (``kept_ids``: retained ones);
    no app,
    space or profile; no EFS or NFS group; no VPC with dependents; the bucket gone or
    empty (in prod: kept, with the staged data, and its key kept); the Service Catalog
    roles as they were before the deploy.
    """
    found: list[str] = list(account.incidents)
    found += [f"IAM denied {denial}" for denial in account.iam.denials]
    sm = account._sm
    for name, job in sm.auto_ml_jobs.items():
        if job.auto_ml_job_status in ("InProgress", "Stopping"):
            found.append(f"AutoML job {name} is {job.auto_ml_job_status}")
    found += [
        f"execution {arn} is RUNNING" for arn, st in account.executions.items() if st == "RUNNING"
    ]
    found += [f"endpoint {name} ({e.endpoint_status})" for name, e in sm.endpoints.items()]
    found += [f"endpoint config {name}" for name in sm.endpoint_configs]
    found += [f"model {name}" for name in sm._models]
    found += [f"monitoring schedule {name}" for name in account.schedules]
    found += [f"{kind} {name}" for name, kind in account.natives.items() if name not in kept_ids]
    scaling = account.moto("application-autoscaling")
    found += [
        f"scalable target {t['ResourceId']}"
        for t in scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    ]
    found += [
        f"scaling policy {p['PolicyName']}"
        for p in scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    ]
    found += [
        f"alarm {a['AlarmName']}"
        for a in account.moto("cloudwatch").describe_alarms()["MetricAlarms"]
    ]
    found += [f"user profile {p} in {d}" for (d, p) in account.profiles]
    found += [f"space {s} in {d} ({st})" for (d, s), st in account.spaces.items()]
    found += [f"app {a[2]} of {a[3]} ({st})" for a, st in account.apps.items() if st != "Deleted"]
    found += [f"domain {d}" for d in sm.domains]
    for fs in account.moto("efs").describe_file_systems()["FileSystems"]:
        found.append(f"EFS {fs['FileSystemId']} ({fs['LifeCycleState']})")
    ec2 = account.moto("ec2")
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        if group["GroupName"].startswith("security-group-for-"):
            found.append(f"NFS security group {group['GroupName']}")
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if vpc.get("IsDefault"):
            continue
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        dependents = [s["SubnetId"] for s in ec2.describe_subnets(Filters=vpc_filter)["Subnets"]]
        dependents += [
            i["NetworkInterfaceId"]
            for i in ec2.describe_network_interfaces(Filters=vpc_filter)["NetworkInterfaces"]
        ]
        found.append(f"VPC {vpc['VpcId']} with dependents {dependents}")
    s3 = account.moto("s3")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    kms = account.moto("kms")
    if retains_data:
        keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
        if "key" in kept and not any(k["KeyState"] == "Enabled" for k in keys):
            found.append("prod's KMS key was not kept")
        if "bucket" in kept and bucket not in buckets:
            found.append(f"prod's bucket {bucket} was not kept")
    elif bucket in buckets:
        objects = s3.list_object_versions(Bucket=bucket).get("Versions", [])
        found += [f"object s3://{bucket}/{o['Key']}" for o in objects]
    roles = {r["RoleName"] for r in account.moto("iam").list_roles()["Roles"]}
    roles = {r for r in roles if r.startswith(SERVICE_CATALOG_ROLE_PREFIX)}
    if roles != roles_before:
        found.append(f"Service Catalog roles changed: {sorted(roles_before)} -> {sorted(roles)}")
    return found


def staged_objects(account: Account, bucket: str) -> list[str]:
    try:
        contents = account.moto("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    except account.moto("s3").exceptions.NoSuchBucket:
        return []
    return [item["Key"] for item in contents]


def _deployment_ticks(deployment: dict[str, Any]) -> int:
    """Ticks a blue/green update takes: provisioning, the traffic steps, the baking."""
    policy = deployment.get("BlueGreenUpdatePolicy", {})
    routing = policy.get("TrafficRoutingConfiguration", {"Type": "ALL_AT_ONCE"})
    waits = {"ALL_AT_ONCE": 0, "CANARY": 1}.get(routing["Type"])
    if waits is None:  # LINEAR: one wait per step after the first
        waits = -(-100 // int(routing["LinearStepSize"]["Value"])) - 1
    wait = int(routing.get("WaitIntervalInSeconds", 0)) * waits
    baking = int(policy.get("TerminationWaitInSeconds", 0))
    return ENDPOINT_CREATING_TICKS + -(-(wait + baking) // 30)
