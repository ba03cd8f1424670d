"""The Projects handler's IAM policy names exactly the roles and policies the handler manages."""

from __future__ import annotations

import fnmatch
import re

from components.studio_cleanup import OWNER_TAG_KEY
from projects_enablement import role_specs, roles
from projects_enablement.role_specs import use_role_policy
from tests.gates.iam_lint import NEVER_EXCUSED, Policy, lint

ROLE_ARN = re.compile(
    r"^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role/service-role/(\w+)$"
)
POLICY_ARN = re.compile(r"^arn:\$\{AWS::Partition\}:iam::aws:policy/(.+)$")


def _statements(env) -> list[dict]:
    """The provider role's statements, from its default policy and CDK's overflow policies."""
    statements = []
    for logical_id, resource in env.template["Resources"].items():
        if logical_id.startswith("ProjectsAndJumpStartProviderRole") and resource["Type"] in (
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
        ):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _names(values, pattern: re.Pattern) -> set[str]:
    names = set()
    for value in _listed(values):
        match = pattern.match(value["Fn::Sub"])
        assert match, value
        names.add(match[1])
    return names


def _iam_statements(env) -> dict[str, dict]:
    by_action = {}
    for statement in _statements(env):
        for action in _listed(statement["Action"]):
            if action.startswith("iam:"):
                by_action[action] = statement
    return by_action


def test_iam_actions_name_exactly_the_handlers_roles(env):
    handler_roles = {spec.name for spec in role_specs.ROLE_SPECS}
    inline_roles = {spec.name for spec in role_specs.ROLE_SPECS if spec.inline_policy}
    by_action = _iam_statements(env)

    assert set(by_action) == {
        "iam:GetRole",
        "iam:ListRoleTags",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:CreateRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    }
    for action, statement in by_action.items():
        expected = inline_roles if action == "iam:PutRolePolicy" else handler_roles
        assert _names(statement["Resource"], ROLE_ARN) == expected, action
    assert len(handler_roles) == 11


def test_attach_is_limited_to_the_handlers_managed_policies_on_owned_roles(env):
    statement = _iam_statements(env)["iam:AttachRolePolicy"]
    policies = _names(statement["Condition"]["ArnEquals"]["iam:PolicyARN"], POLICY_ARN)
    assert policies == {p for spec in role_specs.ROLE_SPECS for p in spec.managed_policies}
    assert statement["Condition"]["StringEquals"] == {
        f"aws:ResourceTag/{OWNER_TAG_KEY}": {"Ref": "AWS::StackId"}
    }


def test_tagging_allows_only_the_owner_and_claim_keys_the_handler_writes(env):
    statement = _iam_statements(env)["iam:TagRole"]
    allowed = statement["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"]
    claim = roles.claim_key(OWNER_TAG_KEY, "arn:aws:cloudformation:eu-west-1:1:stack/x/y")
    assert any(fnmatch.fnmatchcase(claim, pattern) for pattern in allowed)
    assert any(fnmatch.fnmatchcase(OWNER_TAG_KEY, pattern) for pattern in allowed)
    assert not any(fnmatch.fnmatchcase("team", pattern) for pattern in allowed)


def test_deleting_needs_the_owner_tag(env):
    for action in ("iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"):
        condition = _iam_statements(env)[action]["Condition"]
        assert condition == {
            "StringEquals": {f"aws:ResourceTag/{OWNER_TAG_KEY}": {"Ref": "AWS::StackId"}}
        }


def test_use_role_policy_has_only_real_actions():
    # The handler writes this policy at deploy time, so the template gates never see it.
    findings = lint(
        Policy("AmazonSageMakerServiceCatalogProductsUseRolePolicy", use_role_policy("aws"))
    )
    issues = {finding.issue for finding in findings}
    assert not issues & {*NEVER_EXCUSED, "MALFORMED", "INVALID_ARN", "UNKNOWN_CONDITION_FOR_ACTION"}
    # Parliament cannot read NotResource, so the sagemaker:* statement reports mismatches.
    assert issues <= {"RESOURCE_STAR", "RESOURCE_MISMATCH"}
