"""Cases for the random ops."""

CASES: list = []
