"""The wait condition signal: a real HTTP PUT to a local server, with CloudFormation's body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from automl_wait import handler
from tests.runtime.automl_job.responses import described, ensembling_candidate, hpo_candidate

NAME = "apstudio-dev-0123456789abcdef0123"


class _Handle(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.command, self.path, dict(self.headers), body))
        # An expired presigned URL (or a deleted wait condition) is refused.
        self.send_response(403 if self.path.startswith("/expired") else 200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def wait_handle() -> Iterator[tuple[str, list]]:
    """A presigned-URL stand-in on 127.0.0.1 that records each request."""
    server = HTTPServer(("127.0.0.1", 0), _Handle)
    _Handle.received = []
    # A short poll interval: shutdown() waits for one.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/waitcondition?X-Amz-Signature=abc"
    yield url, _Handle.received
    server.shutdown()
    server.server_close()


def _as_step_functions_passes_it(job: dict) -> dict:
    """The SDK integration hands the describe response over as JSON."""
    return json.loads(json.dumps(job, default=str))


def _signal(url: str, job: dict) -> dict:
    event = {"JobName": NAME, "WaitHandleUrl": url, "Job": _as_step_functions_passes_it(job)}
    return handler.handler(event)


def test_completed_job_signals_success_with_its_best_candidate(wait_handle):
    url, received = wait_handle
    job = described(NAME, "Completed", "Completed", best=ensembling_candidate(NAME))
    assert _signal(url, job)["Status"] == "SUCCESS"
    ((method, path, headers, body),) = received
    assert (method, path) == ("PUT", "/waitcondition?X-Amz-Signature=abc")
    assert headers["Content-Type"] == ""  # the URL is signed without one
    sent = json.loads(body)
    assert set(sent) == {"Status", "Reason", "UniqueId", "Data"}
    assert sent["Status"] == "SUCCESS"
    assert sent["UniqueId"] == "automl"
    candidate = job["BestCandidate"]["CandidateName"]
    assert sent["Data"] == f"{NAME}|{candidate}|F1|0.6364"


def test_completed_hpo_job_signals_its_metric(wait_handle):
    url, received = wait_handle
    _signal(url, described(NAME, "Completed", "Completed", best=hpo_candidate(NAME)))
    sent = json.loads(received[0][3])
    assert sent["Status"] == "SUCCESS"
    assert sent["Data"].split("|")[0] == NAME


def test_failed_job_signals_failure_with_its_reason_verbatim(wait_handle):
    url, received = wait_handle
    reason = "ClientError: The training data must have at least 500 rows; found 212"
    job = described(NAME, "Failed", "Failed", failure_reason=reason)
    assert _signal(url, job)["Status"] == "FAILURE"
    sent = json.loads(received[0][3])
    assert set(sent) == {"Status", "Reason", "UniqueId", "Data"}
    assert sent["Status"] == "FAILURE"
    assert reason in sent["Reason"]
    assert NAME in sent["Reason"]


@pytest.mark.parametrize(
    ("status", "best", "expected"),
    [
        ("Stopped", None, "was stopped before completing"),
        ("Completed", None, "completed without a best candidate"),
        ("Deleted", None, "unexpected status 'Deleted'"),
    ],
)
def test_unusable_job_signals_failure_naming_what_to_change(wait_handle, status, best, expected):
    url, received = wait_handle
    _signal(url, described(NAME, status, status, best=best))
    sent = json.loads(received[0][3])
    assert sent["Status"] == "FAILURE"
    assert expected in sent["Reason"]


def test_wait_failure_from_the_state_machine_is_passed_on(wait_handle):
    """The state machine's Catch hands over a Failed status with the describe error."""
    url, received = wait_handle
    job = {"AutoMLJobStatus": "Failed", "FailureReason": "the wait could not describe the job: x"}
    _signal(url, job)
    assert "the wait could not describe the job: x" in json.loads(received[0][3])["Reason"]


def test_a_refused_signal_fails_the_task(wait_handle):
    """An expired or deleted handle answers 403: the execution fails visibly."""
    import urllib.error

    url, received = wait_handle
    with pytest.raises(urllib.error.HTTPError, match="403"):
        _signal(url.replace("/waitcondition", "/expired"), described(NAME, "Stopped", "Stopped"))
    assert len(received) == 1
