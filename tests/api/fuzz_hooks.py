"""schemathesis hooks of the fuzz run (``tests/api/test_fuzz.py``): how to send the bodies
that are neither JSON nor forms."""

from __future__ import annotations

import schemathesis


@schemathesis.serializer("application/toml")
def toml(_context: schemathesis.SerializationContext, value: object) -> bytes:
    """The reference document is text in the schema, sent as it is (most are no valid TOML:
    the hub must refuse them with a problem)."""
    return str(value).encode()
