"""Custom resources that clean up what a SageMaker Studio domain leaves behind on delete."""
