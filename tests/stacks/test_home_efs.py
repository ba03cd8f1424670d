"""studio.home_efs_file_system: the domain's home EFS, on (console default) or off."""

from __future__ import annotations

import pytest

from config import ConfigError, parse_settings
from tests.synth import synthesize


def _domain(template: dict) -> dict:
    return template["Resources"]["StudioDomain"]


def test_default_leaves_the_console_default_and_the_template_unchanged(synthesized):
    for env in synthesized.values():
        assert env.settings.studio.home_efs_file_system is True
        assert "HomeEfsFileSystemCreation" not in _domain(env.template)["Properties"]


def test_false_disables_the_home_efs_in_place(tmp_path, synthesized):
    settings = parse_settings(
        "dev",
        {"removal_policy": "destroy", "studio": {"home_efs_file_system": False}},
    )

    env = synthesize(settings, tmp_path)

    domain = _domain(env.template)
    assert domain["Type"] == "AWS::SageMaker::Domain"
    assert domain["Properties"]["HomeEfsFileSystemCreation"] == "Disabled"
    # An updatable property: the same domain, nothing else about it changes.
    default = _domain(synthesized["dev"].template)["Properties"]
    assert {k: v for k, v in domain["Properties"].items() if k != "HomeEfsFileSystemCreation"} == (
        default
    )
    assert env.nag_findings == []


def test_a_non_boolean_names_the_key_and_the_value():
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            "dev", {"removal_policy": "destroy", "studio": {"home_efs_file_system": "off"}}
        )
    message = str(caught.value)
    assert "dev.studio.home_efs_file_system" in message
    assert "'off'" in message
    assert "valid boolean" in message
