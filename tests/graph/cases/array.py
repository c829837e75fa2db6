"""Cases for the array ops."""

CASES: list = []
