"""AWS's limits and defaults the settings are checked against, in one place."""

from __future__ import annotations

import re
from typing import Literal, get_args

# The environment name ends up in "apstudio-<name>", the AutoML job-name prefix (at most
# 20 characters), and in bucket names: lowercase, and at most 11 characters.
ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MAX_ENVIRONMENT_NAME_LENGTH = 11
# An environment with this name is protected even without ``protected = true``.
ALWAYS_PROTECTED = "prod"

# CloudFormation fails any custom resource after one hour (ServiceTimeout max 3600 s).
CUSTOM_RESOURCE_CAP_SECONDS = 3600
# The AutoML job is waited for by an AWS::CloudFormation::WaitCondition, whose Timeout
# is at most 43,200 s (12 h; CloudFormation docs, "AWS::CloudFormation::WaitCondition").
WAIT_CONDITION_CAP_SECONDS = 43_200
# Between the job's budget and the wait's Timeout: job start-up, Autopilot's graceful
# stop at the runtime limit (it finishes the running trials and writes its reports)
# and the one-minute poll.
AUTOML_WAIT_MARGIN_SECONDS = 1_800
MAX_AUTOML_JOB_RUNTIME_SECONDS = WAIT_CONDITION_CAP_SECONDS - AUTOML_WAIT_MARGIN_SECONDS
# A blue/green update's MaximumExecutionTimeoutInSeconds is 600-28800 s and must exceed
# its traffic steps and baking (API BlueGreenUpdatePolicy); an hour of it is left for
# provisioning the new fleet and draining the old.
DEPLOYMENT_TIMEOUT_CAP_SECONDS = 28_800
DEPLOYMENT_PROVISIONING_SECONDS = 3_600
# The state machine polls the job once a minute; a budget between two polls buys nothing.
AUTOML_POLL_INTERVAL_SECONDS = 60

BANK_MARKETING_SAMPLE_URL = (
    "https://sagemaker-sample-data-us-west-2.s3-us-west-2.amazonaws.com"
    "/autopilot/direct_marketing/bank-additional.zip"
)
BANK_MARKETING_SAMPLE_MEMBER = "bank-additional/bank-additional-full.csv"

OBJECTIVES_BY_PROBLEM_TYPE = {
    "BinaryClassification": ("F1", "Accuracy", "AUC", "BalancedAccuracy", "Precision", "Recall"),
    "MulticlassClassification": (
        "Accuracy",
        "BalancedAccuracy",
        "F1macro",
        "PrecisionMacro",
        "RecallMacro",
    ),
    "Regression": ("MSE", "RMSE", "MAE", "R2"),
}
# Autopilot's inference response keys (AWS docs, "Configure inference output in generated
# containers"). Regression models return only their prediction, as predicted_label.
ResponseKey = Literal["predicted_label", "probability", "probabilities", "labels"]
RESPONSE_KEYS: tuple[str, ...] = get_args(ResponseKey)
REGRESSION_RESPONSE_KEYS = ("predicted_label",)
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
