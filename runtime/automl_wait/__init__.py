"""Signal the AutoML job's CloudFormation wait condition when the job ends."""
