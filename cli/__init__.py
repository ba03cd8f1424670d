"""Score the deployed endpoint on the held-out data, check its data capture and upload the
held-out labels as ground truth; report what the monitoring function found on the captured
traffic.

Run ``python -m cli --env dev`` or ``python -m cli monitor --env dev``;
see ``--help`` of each.
"""
