"""Drift and model-quality monitoring of the endpoint's captured traffic (boto3 only)."""
