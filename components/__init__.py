"""Reusable CDK constructs. Named ``components`` so it never shadows the ``constructs`` library."""
