"""The reference directory: institutions, person directory, authorizations, availability."""
