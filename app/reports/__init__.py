"""Nightly match reports: what each recipient reads, written to an outbox, sent by SMTP."""
