"""Cases for the nn ops."""

CASES: list = []
