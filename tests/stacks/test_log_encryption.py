"""Where an environment has its own key, logs and Lambda environments use it too."""

from __future__ import annotations


def _key_id(env) -> str | None:
    keys = env.resources("AWS::KMS::Key")
    return next(iter(keys)) if keys else None


def test_every_log_group_and_function_environment_uses_the_key(env):
    key_id = _key_id(env)
    if key_id is None:
        return
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    for log_group in env.resources("AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == key_arn
    for function in env.resources("AWS::Lambda::Function").values():
        if "Environment" in function["Properties"]:
            assert function["Properties"]["KmsKeyArn"] == key_arn


def test_the_key_policy_lets_cloudwatch_logs_use_the_key(env):
    key_id = _key_id(env)
    if key_id is None:
        return
    statements = env.template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (logs,) = [
        s
        for s in statements
        if "'logs.'" in str(s.get("Principal", {}).get("Service"))  # not delivery.logs
    ]
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= set(logs["Action"])
    condition = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert ":log-group:*" in str(condition)
