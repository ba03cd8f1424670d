"""The deploy-outputs checker used when the integ app is deployed with the CDK CLI."""

from __future__ import annotations

import json

import pytest

from tests.integ.assertion_results import assertion_results, main

STACK = "AutopilotStudioIntegDefaultTestDeployAssert880623D1"
SUCCESS = json.dumps({"status": "success"})


def _write(tmp_path, outputs):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def test_all_successful_assertions_pass(tmp_path, capsys):
    outputs = {
        "AutopilotStudio-integ": {"EndpointName": "apstudio-integ-endpoint"},
        STACK: {"AssertionResultsA": SUCCESS, "AssertionResultsB": SUCCESS},
    }
    assert main([_write(tmp_path, outputs)]) == 0
    assert capsys.readouterr().out.count("SUCCESS") == 2


def test_a_failed_assertion_fails_with_its_message(tmp_path, capsys):
    failed = json.dumps({"status": "fail", "message": "Expected InService but received Failed"})
    outputs = {STACK: {"AssertionResultsA": SUCCESS, "AssertionResultsB": failed}}
    assert main([_write(tmp_path, outputs)]) == 1
    assert "Expected InService" in capsys.readouterr().out


@pytest.mark.parametrize("outputs", [{}, {STACK: {"Other": "x"}}])
def test_no_assertion_results_fail(tmp_path, outputs):
    assert main([_write(tmp_path, outputs)]) == 1


def test_unreadable_result_counts_as_failed():
    results = assertion_results({STACK: {"AssertionResultsA": "not json"}})
    assert results[f"{STACK}.AssertionResultsA"]["status"] == "fail"


def test_usage_error():
    assert main([]) == 2
