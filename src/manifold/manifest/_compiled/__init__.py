"""Validators generated from the shipped schemas by schemas/compile_validators.py."""
