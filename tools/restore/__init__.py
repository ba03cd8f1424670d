"""make restore: bring an environment's retained resources back under a new stack."""
