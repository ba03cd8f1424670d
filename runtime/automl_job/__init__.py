"""Run a SageMaker Autopilot (CreateAutoMLJobV2) job as a polled custom resource."""
