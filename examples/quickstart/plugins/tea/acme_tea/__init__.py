"""The example plugin's code."""
