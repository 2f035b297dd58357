"""Rasa NLU components and the classifiers, encoder and unit ranking they use."""
