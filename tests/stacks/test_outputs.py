"""Every stack output says what it is for (the console and describe-stacks show it)."""

from __future__ import annotations

# The outputs the README and the commands in cli/ name; others may be added.
DOCUMENTED = {
    "StudioDomainId",
    "StudioDomainUrl",
    "StudioUserProfileName",
    "DataBucketName",
    "TrainingDataS3Uri",
    "HoldoutDataS3Uri",
    "TargetAttribute",
    "PositiveClass",
    "AutoMLJobName",
    "BestCandidateName",
    "BestCandidateObjectiveMetric",
    "EndpointName",
    "InferenceResponseKeys",
    "DataCaptureS3Uri",
}


def test_every_output_has_a_description(env):
    outputs = env.template["Outputs"]
    assert set(outputs) >= DOCUMENTED
    missing = [name for name, output in outputs.items() if not output.get("Description")]
    assert missing == []
    # CloudFormation's limit for an output description.
    assert all(len(output["Description"]) <= 1024 for output in outputs.values())
