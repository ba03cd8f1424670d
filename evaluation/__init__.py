"""Score the deployed endpoint on the held-out data and check its data capture; report
what Model Monitor found on the captured traffic.

Run ``python -m evaluation --env dev`` or ``python -m evaluation monitor --env dev``;
see ``--help`` of each.
"""
