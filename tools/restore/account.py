"""Find, in the account, what a destroyed stack retained, and check that it is this one's.

CloudFormation tags what it creates with ``aws:cloudformation:stack-name`` and
``aws:cloudformation:logical-id``, and those tags stay on a retained resource, for the
types whose schema says ``cloudFormationSystemTags`` (S3 buckets and log groups; not KMS
keys, which allow no ``aws:`` tag keys). The data bucket has a fixed name; the rest are
found from it: its server access logs name the log bucket, its default encryption names
the key. A failed ``make deploy`` after the destroy leaves a second key and log bucket with
the same tags (CloudFormation retains ``Retain`` resources on a create's rollback too), so
the pointers decide, not the tags alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tools.restore.plan import (
    RestoreError,
    Retained,
    check_self_contained,
    fixed_name,
    references,
    required,
    resolve,
)

STACK_NAME_TAG = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"


@dataclass(frozen=True)
class Target:
    """The environment being restored, and where."""

    env: str
    stack_name: str
    tags: dict[str, str]
    account: str
    region: str
    partition: str = "aws"

    @property
    def pseudo(self) -> dict[str, str]:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": suffix,
        }


@dataclass
class Plan:
    """The import mapping for ``cdk import --resource-mapping``, and what was left out."""

    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def check_no_stack(cloudformation: Any, target: Target) -> str | None:
    """None when the stack does not exist; a status the import can replace; or refuse.

    A stack whose create failed (ROLLBACK_COMPLETE) holds nothing, and the CDK CLI deletes it
    before deploying again; REVIEW_IN_PROGRESS is a stack whose first change set (an
    interrupted import) never ran.
    """
    try:
        (stack,) = cloudformation.describe_stacks(StackName=target.stack_name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if _code(error) == "ValidationError" and "does not exist" in message:
            return None
        raise
    status = stack["StackStatus"]
    if status in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
        return status
    where = f"stack {target.stack_name} already exists in {target.region} ({status})"
    if status == "IMPORT_COMPLETE":
        raise RestoreError(
            f"{where}: the retained resources are back in it; finish with "
            f"make deploy ENV={target.env}"
        )
    raise RestoreError(
        f"{where}: make restore only brings back a destroyed environment; "
        f"make deploy ENV={target.env} updates this one"
    )


class Finder:
    """Looks up each retained resource; refuses, in one line, what is not this stack's."""

    def __init__(self, target: Target, client: Callable[[str], Any]) -> None:
        self.target = target
        self._client = client
        self._found: dict[str, tuple[Retained, str, dict[str, str]]] = {}

    def plan(self, resources: list[Retained], template: dict[str, Any]) -> Plan:
        """Find every retained resource; the required ones must exist."""
        needed = required(resources, self.target.pseudo)
        plan = Plan()
        gone: dict[str, str] = {}
        for resource in sorted(resources, key=self._lookup_order):
            finder = _FINDERS[resource.resource_type]
            found = finder(self, resource)
            if isinstance(found, str):
                if resource.logical_id in needed:
                    raise RestoreError(found)
                gone[resource.logical_id] = found
                continue
            identifier, detail = found
            self._found[resource.logical_id] = (resource, identifier, detail)
            plan.mapping[resource.logical_id] = {resource.identifier_property: identifier}
            plan.described[resource.logical_id] = f"{resource.resource_type} {identifier}"
        # What an imported resource refers to must be imported with it.
        for resource, _, _ in self._found.values():
            for logical_id in sorted(references(resource.properties) & set(gone)):
                raise RestoreError(gone[logical_id])
        plan.skipped = [f"{lid}: {why}; the deploy creates a new one" for lid, why in gone.items()]
        check_self_contained(template, plan.mapping)
        return plan

    def _lookup_order(self, resource: Retained) -> int:
        # Named buckets first; keys and log buckets are found from them, log groups last.
        if fixed_name(resource, self.target.pseudo):
            return 0
        return {"AWS::KMS::Key": 1, "AWS::S3::Bucket": 2}.get(resource.resource_type, 3)

    # --- checks shared by every type ------------------------------------------------------

    def _check_origin(self, resource: Retained, tags: dict[str, str], what: str) -> None:
        stack, logical_id = tags.get(STACK_NAME_TAG), tags.get(LOGICAL_ID_TAG)
        expected = (self.target.stack_name, resource.logical_id)
        if stack is None:
            raise RestoreError(
                f"{what} has no {STACK_NAME_TAG} tag, so no stack retained it: make restore "
                f"imports only what {self.target.stack_name} left behind"
            )
        if (stack, logical_id) != expected:
            raise RestoreError(
                f"{what} was left behind by stack {stack} (as {logical_id}), not by "
                f"{expected[0]} (as {expected[1]}): it belongs to another environment"
            )
        self._check_project_tags(tags, what)

    def _check_project_tags(self, tags: dict[str, str], what: str) -> None:
        for key, value in self.target.tags.items():
            if key in tags and tags[key] != value:
                raise RestoreError(
                    f"{what} is tagged {key} = {tags[key]!r}, but {self.target.env}.tags.{key} "
                    f"= {value!r} in config/environments.toml: it belongs to another environment"
                )

    def _pointer(self, resource: Retained, path: tuple[str, ...]) -> tuple[str, Any] | None:
        """A found resource whose template property at ``path`` refers to ``resource``."""
        for other, identifier, _ in self._found.values():
            value: Any = other.properties
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
                if isinstance(value, list):
                    value = value[0] if value else None
            if value is not None and references(value) == {resource.logical_id}:
                return identifier, other
        return None

    # --- S3 buckets ------------------------------------------------------------------------

    def _bucket(self, resource: Retained) -> tuple[str, dict[str, str]] | str:
        name = fixed_name(resource, self.target.pseudo)
        if name is None:
            name, why = self._logging_target(resource)
            if name is None:
                return why
        s3 = self._client("s3")
        try:
            head = s3.head_bucket(Bucket=name, ExpectedBucketOwner=self.target.account)
        except ClientError as error:
            if _code(error) in ("404", "NoSuchBucket", "NotFound"):
                return self._missing_bucket(resource, name)
            if _code(error) in ("403", "AccessDenied"):
                raise RestoreError(
                    f"bucket {name} is not in account {self.target.account} (or these "
                    "credentials may not read it): it belongs to someone else"
                ) from None
            raise
        region = head.get("BucketRegion")
        if region and region != self.target.region:
            raise RestoreError(
                f"bucket {name} is in {region}, but {self.target.env} deploys to "
                f"{self.target.region}: set {self.target.env}.region or AWS_REGION to {region}"
            )
        try:
            tag_set = s3.get_bucket_tagging(Bucket=name, ExpectedBucketOwner=self.target.account)
            tags = {t["Key"]: t["Value"] for t in tag_set["TagSet"]}
        except ClientError as error:
            if _code(error) != "NoSuchTagSet":
                raise
            tags = {}
        self._check_origin(resource, tags, f"bucket {name}")
        return name, {}

    def _missing_bucket(self, resource: Retained, name: str) -> str:
        if fixed_name(resource, self.target.pseudo):
            return (
                f"bucket {name} does not exist in account {self.target.account}: nothing to "
                f"restore for {self.target.env}; make deploy ENV={self.target.env} creates a "
                "new environment"
            )
        return (
            f"the access-log bucket {name} ({resource.logical_id}) no longer exists: create an "
            f"empty bucket of that name (aws s3api create-bucket --bucket {name}), then run "
            "make restore again"
        )

    def _logging_target(self, resource: Retained) -> tuple[str | None, str]:
        """The log bucket a found bucket's server access logs go to; else why not."""
        pointer = self._pointer(resource, ("LoggingConfiguration", "DestinationBucketName"))
        if pointer is None:
            return None, f"no retained bucket logs to {resource.logical_id}, so it cannot be found"
        source, _ = pointer
        logging = self._client("s3").get_bucket_logging(
            Bucket=source, ExpectedBucketOwner=self.target.account
        )
        target = logging.get("LoggingEnabled", {}).get("TargetBucket")
        if not target:
            return None, (
                f"bucket {source} no longer has server access logging on, so its access-log "
                f"bucket ({resource.logical_id}) cannot be found: turn the logging back on "
                "to the old log bucket, then run make restore again"
            )
        return target, ""

    # --- KMS keys --------------------------------------------------------------------------

    def _key(self, resource: Retained) -> tuple[str, dict[str, str]] | str:
        path = ("BucketEncryption", "ServerSideEncryptionConfiguration")
        pointer = self._pointer(
            resource, (*path, "ServerSideEncryptionByDefault", "KMSMasterKeyID")
        )
        if pointer is None:
            return (
                f"no retained bucket is encrypted with {resource.logical_id}, so it cannot be found"
            )
        bucket, _ = pointer
        key_id = self._bucket_key(bucket)
        if key_id is None:
            return (
                f"bucket {bucket} is no longer encrypted with a KMS key, so its key "
                f"({resource.logical_id}) cannot be found"
            )
        kms = self._client("kms")
        try:
            key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        except ClientError as error:
            if _code(error) == "NotFoundException":
                return (
                    f"key {key_id}, which encrypts bucket {bucket}, no longer exists: the data "
                    "encrypted with it cannot be read again"
                )
            raise
        self._check_key_usable(key)
        description = resolve(resource.properties.get("Description"), self.target.pseudo)
        if description is not None and key.get("Description") != description:
            raise RestoreError(
                f"key {key['Arn']} is described as {key.get('Description')!r}, not "
                f"{description!r}: it belongs to another environment"
            )
        tags = {
            t["TagKey"]: t["TagValue"]
            for t in _pages(kms.list_resource_tags, "Tags", KeyId=key["KeyId"])
        }
        self._check_project_tags(tags, f"key {key['Arn']}")
        return key["KeyId"], {"Arn": key["Arn"]}

    def _bucket_key(self, bucket: str) -> str | None:
        try:
            encryption = self._client("s3").get_bucket_encryption(
                Bucket=bucket, ExpectedBucketOwner=self.target.account
            )
        except ClientError as error:
            if _code(error) == "ServerSideEncryptionConfigurationNotFoundError":
                return None
            raise
        for rule in encryption["ServerSideEncryptionConfiguration"]["Rules"]:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm", "").startswith("aws:kms"):
                return default.get("KMSMasterKeyID")
        return None

    @staticmethod
    def _check_key_usable(key: dict[str, Any]) -> None:
        arn, key_id, state = key["Arn"], key["KeyId"], key["KeyState"]
        if state == "PendingDeletion":
            raise RestoreError(
                f"key {arn} is scheduled for deletion: cancel it with `aws kms "
                f"cancel-key-deletion --key-id {key_id}` and `aws kms enable-key --key-id "
                f"{key_id}`, then run make restore again"
            )
        if state == "Disabled":
            raise RestoreError(
                f"key {arn} is disabled: enable it with `aws kms enable-key --key-id {key_id}`, "
                "then run make restore again"
            )
        if state != "Enabled":
            raise RestoreError(f"key {arn} is {state}, not Enabled: it cannot be imported now")

    # --- CloudWatch Logs log groups --------------------------------------------------------

    def _log_group(self, resource: Retained) -> tuple[str, dict[str, str]] | str:
        """CloudFormation names a log group ``<stack>-<logical ID>-<suffix>`` unless told."""
        name = fixed_name(resource, self.target.pseudo)
        prefix = name or f"{self.target.stack_name}-{resource.logical_id}-"
        logs = self._client("logs")
        groups = [
            group
            for group in _pages(
                logs.describe_log_groups, "logGroups", token="nextToken", logGroupNamePrefix=prefix
            )
            if name is None or group["logGroupName"] == name
        ]
        ours = []
        for group in groups:
            tags = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
            if name is not None:
                self._check_origin(resource, tags, f"log group {name}")
            elif (tags.get(STACK_NAME_TAG), tags.get(LOGICAL_ID_TAG)) == (
                self.target.stack_name,
                resource.logical_id,
            ):
                ours.append(group)
        if name is not None:
            return (name, {}) if groups else f"log group {name} no longer exists"
        key_arn = self._found_key_arn(resource.properties.get("KmsKeyId"))
        if key_arn is not None:
            # A failed deploy's leftover of the same name uses the key that deploy made.
            ours = [group for group in ours if group.get("kmsKeyId") == key_arn]
        if not ours:
            return f"no log group {prefix}* left behind by {self.target.stack_name}"
        if len(ours) > 1:
            names = ", ".join(sorted(group["logGroupName"] for group in ours))
            raise RestoreError(
                f"{len(ours)} log groups could be {resource.logical_id} ({names}): delete the "
                "ones you do not want kept, then run make restore again"
            )
        return ours[0]["logGroupName"], {}

    def _found_key_arn(self, value: Any) -> str | None:
        for logical_id in references(value):
            if logical_id in self._found:
                return self._found[logical_id][2].get("Arn")
        return None


_FINDERS: dict[str, Callable[[Finder, Retained], tuple[str, dict[str, str]] | str]] = {
    "AWS::S3::Bucket": Finder._bucket,
    "AWS::KMS::Key": Finder._key,
    "AWS::Logs::LogGroup": Finder._log_group,
}


def _pages(method: Callable, result_key: str, *, token: str = "Marker", **request) -> list:
    items: list = []
    while True:
        page = method(**request)
        items.extend(page.get(result_key, []))
        marker = page.get("NextMarker" if token == "Marker" else token)
        if not marker or (token == "Marker" and not page.get("Truncated")):
            return items
        request[token] = marker
