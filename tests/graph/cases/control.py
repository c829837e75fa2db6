"""Cases for the control ops."""

CASES: list = []
