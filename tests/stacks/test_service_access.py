"""AWS services that act on the stack's resources are allowed to by those resources' own
policies: a topic policy replaces SNS's default access policy, so an alarm can publish to
its topic only if the topic policy allows CloudWatch (AWS re:Post, "Why didn't I receive
an SNS notification for my CloudWatch alarm trigger?"); a scheduled rule invokes its
function only through a Lambda permission for EventBridge with the rule as source.
"""

from __future__ import annotations

from typing import Any


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _topic_policies(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Topic logical ID -> the statements of the topic policies attached to it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::SNS::TopicPolicy":
            continue
        props = resource["Properties"]
        for topic in props["Topics"]:
            found.setdefault(_ref(topic) or "", []).extend(props["PolicyDocument"]["Statement"])
    return found


def _allows(statements: list[dict[str, Any]], service: str, action: str) -> list[dict[str, Any]]:
    return [
        s
        for s in statements
        if s["Effect"] == "Allow"
        and service in _as_list(s.get("Principal", {}).get("Service", []))
        and any(a in (action, action.split(":")[0] + ":*", "*") for a in _as_list(s["Action"]))
    ]


def test_every_alarm_can_publish_to_its_topics(env):
    policies = _topic_policies(env.template)
    alarms = env.resources("AWS::CloudWatch::Alarm")
    notified = 0
    for name, alarm in alarms.items():
        for action in alarm["Properties"].get("AlarmActions", []):
            topic = _ref(action)
            if topic is None or topic not in env.template["Resources"]:
                continue
            notified += 1
            if topic not in policies:
                continue  # SNS's default policy lets the account's services publish
            allowed = _allows(policies[topic], "cloudwatch.amazonaws.com", "sns:Publish")
            assert allowed, f"{name} notifies {topic}, whose topic policy denies CloudWatch"
            for statement in allowed:
                conditions = statement.get("Condition", {})
                assert "aws:SourceAccount" in str(conditions), statement
                assert ":alarm:" in str(conditions), statement
    assert notified == (len(alarms) - _rollback_alarms(env) if env.settings.monitor.enabled else 0)


def _rollback_alarms(env) -> int:
    """Deployment guardrails' alarms: SageMaker reads them; they notify nobody."""
    endpoint = env.only("AWS::SageMaker::Endpoint")["Properties"]
    rollback = endpoint.get("DeploymentConfig", {}).get("AutoRollbackConfiguration", {})
    return len(rollback.get("Alarms", []))


def test_every_scheduled_rule_may_invoke_its_function(env):
    permissions = [
        p["Properties"]
        for p in env.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    rules = env.resources("AWS::Events::Rule")
    assert len(rules) == (1 if env.settings.monitor.enabled else 0)
    for name, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            function = target["Arn"]["Fn::GetAtt"][0]
            assert any(
                p["Action"] == "lambda:InvokeFunction"
                and p["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}
                and p["SourceArn"] == {"Fn::GetAtt": [name, "Arn"]}
                for p in permissions
            ), f"{name} targets {function} without a permission whose source is the rule"
