"""Shared plumbing for the custom-resource handlers: AWS clients, properties, logs."""
