"""Parliament (the IAM policy linter) over every identity policy of a template.

Templates are rendered first (``tests.gates.intrinsics``): parliament reads literal ARNs
only. Each parliament finding is split per action, so a known limitation can be narrow.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from components.nag import S3_GRANT_ACTIONS
from tests.gates.intrinsics import Renderer

# A misspelled action or service prefix is never parliament's limitation.
NEVER_EXCUSED = ("UNKNOWN_ACTION", "UNKNOWN_PREFIX")
# Resource formats of S3 buckets and objects: a mismatch there is always a real error.
S3_BUCKET_AND_OBJECT_FORMATS = ("arn:*:s3:::*", "arn:*:s3:::*/*")


with warnings.catch_warnings():
    # Parliament's regular expressions use escapes that newer Pythons warn about.
    warnings.simplefilter("ignore")
    import parliament


@dataclass(frozen=True)
class Policy:
    """One policy document: ``name`` is its logical ID, or ``<role>/<policy>`` if inline."""

    name: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    policy: str
    issue: str
    action: str = ""
    detail: str = ""


@dataclass(frozen=True)
class KnownLimitation:
    """Findings parliament reports that are its own limitation, not a policy problem."""

    issue: str
    actions: tuple[str, ...]
    reason: str
    policies: str = "*"
    # Findings whose required resource format is one of these are never covered.
    except_formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.issue in NEVER_EXCUSED:
            raise ValueError(f"{self.issue} is always a real error, never a known limitation")
        if not self.reason.strip():
            raise ValueError(f"a known limitation for {self.issue} needs a reason")

    def covers(self, finding: Finding) -> bool:
        return (
            finding.issue == self.issue
            and fnmatchcase(finding.policy, self.policies)
            and any(fnmatchcase(finding.action, pattern) for pattern in self.actions)
            and finding.detail not in self.except_formats
        )


# Every parliament finding that is accepted, in one place, each with its reason.
KNOWN_LIMITATIONS = (
    KnownLimitation(
        issue="RESOURCE_MISMATCH",
        actions=S3_GRANT_ACTIONS,
        except_formats=S3_BUCKET_AND_OBJECT_FORMATS,
        reason=(
            "CDK's bucket grants use wildcard actions (s3:List*, s3:GetObject*, ...). "
            "Parliament expands them to every matching S3 action and reports those that "
            "need an access point, access grant, batch job or '*' resource. IAM evaluates "
            "the wildcard against the statement's bucket and object ARNs, so those "
            "actions are simply not granted. Mismatches on bucket or object ARNs are "
            "still reported."
        ),
    ),
    KnownLimitation(
        issue="RESOURCE_STAR",
        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
        policies="*ProviderwaiterstatemachineRoleDefaultPolicy*",
        reason=(
            "The CDK Provider framework's waiter state machine role: CDK grants the "
            "log-stream actions in the same Resource '*' statement as the CloudWatch "
            "Logs delivery actions, which support no resource-level scoping. The role "
            "and its policy are the framework's and not configurable."
        ),
    ),
)


def identity_policies(template: dict[str, Any]) -> list[Policy]:
    """Every AWS::IAM::Policy, AWS::IAM::ManagedPolicy and inline role policy, rendered."""
    renderer = Renderer(template)
    policies = []
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            policies.append(Policy(logical_id, renderer.render(properties["PolicyDocument"])))
        elif resource["Type"] == "AWS::IAM::Role":
            policies += [
                Policy(
                    f"{logical_id}/{inline['PolicyName']}",
                    renderer.render(inline["PolicyDocument"]),
                )
                for inline in properties.get("Policies", [])
            ]
    return policies


def lint(policy: Policy) -> list[Finding]:
    analyzed = parliament.analyze_policy_string(
        json.dumps(policy.document), ignore_private_auditors=True
    )
    findings = []
    for found in analyzed.findings:
        details = found.detail if isinstance(found.detail, list) else [found.detail]
        for detail in details:
            if isinstance(detail, dict):  # RESOURCE_MISMATCH: the action and the format it needs
                findings.append(
                    Finding(policy.name, found.issue, detail["action"], detail["required_format"])
                )
            elif found.issue == "RESOURCE_STAR":
                findings.append(Finding(policy.name, found.issue, action=str(detail)))
            else:
                location = found.location.get("string", "") if found.location else ""
                findings.append(Finding(policy.name, found.issue, str(location), str(detail or "")))
    return findings


def explanation(finding: Finding) -> KnownLimitation | None:
    return next((known for known in KNOWN_LIMITATIONS if known.covers(finding)), None)


def unexplained(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if explanation(finding) is None]
