"""Rasa input channels for the web chat and Slack, named by path in the credentials files."""
