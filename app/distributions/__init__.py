"""Sending a solicitation to chosen companies, and following each recipient's answer."""
