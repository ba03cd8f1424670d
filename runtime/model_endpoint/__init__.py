"""Custom resource: a real-time endpoint with data capture for an Autopilot best candidate."""
