"""A simulated eID identity provider: a real OpenID Connect provider over HTTP."""
