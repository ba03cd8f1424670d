"""Where an environment has its own key, logs and Lambda environments use it too; where it
has none, nothing names a key that does not exist."""

from __future__ import annotations

import pytest

from config import load_settings
from tests.conftest import ENVIRONMENTS

KEYED = [name for name in ENVIRONMENTS if load_settings(name).encryption.customer_managed_key]


def test_a_key_exists_exactly_where_config_asks_for_one(env):
    keys = env.resources("AWS::KMS::Key")
    assert len(keys) == (1 if env.settings.encryption.customer_managed_key else 0)
    if not keys:
        for log_group in env.resources("AWS::Logs::LogGroup").values():
            assert "KmsKeyId" not in log_group["Properties"]
        for function in env.resources("AWS::Lambda::Function").values():
            assert "KmsKeyArn" not in function["Properties"]


def test_some_environment_has_a_key():
    assert KEYED, "no environment in environments.toml sets encryption.customer_managed_key"


@pytest.mark.parametrize("name", KEYED)
def test_every_log_group_and_function_environment_uses_the_key(synthesized, name):
    env = synthesized[name]
    (key_id,) = env.resources("AWS::KMS::Key")
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    log_groups = env.resources("AWS::Logs::LogGroup").values()
    assert log_groups
    for log_group in log_groups:
        assert log_group["Properties"]["KmsKeyId"] == key_arn
    with_environment = [
        function
        for function in env.resources("AWS::Lambda::Function").values()
        if "Environment" in function["Properties"]
    ]
    assert with_environment
    for function in with_environment:
        assert function["Properties"]["KmsKeyArn"] == key_arn


@pytest.mark.parametrize("name", KEYED)
def test_the_key_policy_lets_cloudwatch_logs_use_the_key(synthesized, name):
    env = synthesized[name]
    (key,) = env.resources("AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    (logs,) = [
        s
        for s in statements
        if "'logs.'" in str(s.get("Principal", {}).get("Service"))  # not delivery.logs
    ]
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= set(logs["Action"])
    condition = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert ":log-group:*" in str(condition)
