"""Unique identification: NISS numbers, the hub's BIS register, phonetic search."""
