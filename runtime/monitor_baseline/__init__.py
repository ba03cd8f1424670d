"""Custom resource: the Model Monitor baseline (statistics and constraints) of the training data."""
