"""Custom resource enabling SageMaker Projects and JumpStart for the Studio execution role."""
