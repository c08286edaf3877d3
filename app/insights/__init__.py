"""Capability gaps: where open needs outrun the partners able to serve them."""
