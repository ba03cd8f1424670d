"""Lambda handler packages; also imported at synth for the code both share."""
