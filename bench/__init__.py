"""Benchmarks and evaluations run on a data folder laid out like ../shared/data."""
