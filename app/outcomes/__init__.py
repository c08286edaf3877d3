"""What came of a match: interested, declined, not a fit, teamed, awarded."""
