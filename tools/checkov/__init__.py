"""Checkov policy gate (QA-2): scan synthesized stacks, apply the one suppression file."""
