"""Checks on what patients read and what the model learns from: content gates, NLU data."""
