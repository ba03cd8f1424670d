"""Score the deployed endpoint on the held-out data and check its data capture.

Run ``python -m evaluation --env dev``; see ``python -m evaluation --help``.
"""
