"""Ranking models learned from recorded outcomes, versioned, used only when they beat the
default fusion on held-out outcomes."""
