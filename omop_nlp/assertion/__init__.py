"""Assertion of each mention: negated, hedged, unlikely, resolved, hypothetical, historical."""
