"""Measures the system: gold question sets, metrics, the runner and its report."""
