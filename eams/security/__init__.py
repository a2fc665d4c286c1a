"""Encryption of secrets at rest."""

from eams.security.secretbox import SecretBox, SecretBoxError

__all__ = ["SecretBox", "SecretBoxError"]
