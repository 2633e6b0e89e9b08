"""The buffer database of harmonised social statuses (SSH): per person, dated statuses with
their provenance, and the household each person belongs to."""
