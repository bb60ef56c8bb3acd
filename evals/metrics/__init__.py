"""One metric family per module; each documents what it measures and its range."""
