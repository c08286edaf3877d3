"""Solicitations an organization follows, and the changes that followers are shown."""
