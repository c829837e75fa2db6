"""Cases for the linalg ops."""

CASES: list = []
