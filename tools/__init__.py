"""Tooling outside the product: benchmarks, reports, retention and maintenance commands."""
