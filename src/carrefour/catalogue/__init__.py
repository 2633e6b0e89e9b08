"""The service catalogue: services declared as data, not as code per service."""
