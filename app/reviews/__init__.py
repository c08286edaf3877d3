"""An organization's own review of a match: pinned, hidden (with a reason) and a note."""
