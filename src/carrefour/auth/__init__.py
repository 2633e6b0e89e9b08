"""Authentication of institutions: OAuth2 client credentials and short-lived signed tokens."""
