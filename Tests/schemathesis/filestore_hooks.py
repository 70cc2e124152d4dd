"""Schemathesis hooks for filestore's spec (loaded through SCHEMATHESIS_HOOKS=filestore_hooks).

tus chunks are `application/offset+octet-stream` (tus 1.0): raw bytes, sent exactly like
`application/octet-stream`, which Schemathesis has no serializer for by default.
"""
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
