"""Encrypts credential secrets with a key derived from EAMS_SECRET_KEY (Fernet: AES-128 + HMAC)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken


class SecretBoxError(Exception):
    """The stored secrets cannot be read with the configured key."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(("eams-credentials:" + secret_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secrets: dict[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode())

    def open(self, token: bytes | None) -> dict[str, str]:
        if not token:
            return {}
        try:
            value = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise SecretBoxError(
                "stored credentials cannot be decrypted: EAMS_SECRET_KEY differs from the key "
                "they were saved with"
            ) from exc
        return {str(key): str(item) for key, item in value.items()}
