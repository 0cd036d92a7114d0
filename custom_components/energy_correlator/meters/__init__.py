"""Utility meters in Home Assistant: the shell around the pure consumption core."""
