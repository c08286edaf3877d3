"""Restricted-party screening: partners checked against denied-party lists, held until reviewed."""
