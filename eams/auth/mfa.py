"""MFA with TOTP (RFC 6238, pyotp): enrol with a QR code rendered here (segno), confirm with a
first code, verify codes once each, and one-time recovery codes stored as Argon2id hashes.

The seed is encrypted with the service's SecretBox; it is shown once, at enrolment, and never
again (not in an answer, a log or the audit log).
"""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, field

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from eams.auth.config import AuthConfig
from eams.auth.models import RecoveryCode, User
from eams.auth.passwords import hash_password, verify_password
from inventory.models.base import utcnow
from inventory.secretbox import SecretBox

TOTP_PERIOD = 30
TOTP_DIGITS = 6
# One step either side: phones whose clock is up to 30 s off still sign in.
TOTP_WINDOW = 1
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed by hand


class MfaError(ValueError):
    """An MFA step cannot be done as asked; the message says why (Vietnamese and English)."""


@dataclass(frozen=True)
class Enrolment:
    """What the profile page shows once to set up the authenticator app."""

    otpauth_uri: str = field(repr=False)
    secret: str = field(repr=False)  # base32, for typing in by hand
    qr_svg: str = field(repr=False)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)


def begin_enrolment(session: Session, config: AuthConfig, box: SecretBox, user: User) -> Enrolment:
    """A new seed, kept (encrypted) until a first code confirms it. Re-enrolling an account that
    already has MFA is refused: disable it first (with a code), so a stolen session cannot swap it."""
    if user.totp_enabled:
        raise MfaError(
            "MFA đã bật; hãy tắt trước khi đăng ký lại / MFA is on; turn it off before enrolling again"
        )
    secret = pyotp.random_base32(length=32)
    user.totp_secret = box.seal({"totp": secret}).decode("ascii")
    user.totp_last_step = None
    session.flush()
    uri = _totp(secret).provisioning_uri(name=user.username, issuer_name=config.totp_issuer)
    qr = segno.make(uri, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="EAMS MFA")
    return Enrolment(otpauth_uri=uri, secret=secret, qr_svg=buffer.getvalue().decode())


def confirm_enrolment(
    session: Session, config: AuthConfig, box: SecretBox, user: User, code: str
) -> list[str]:
    """Turn MFA on after a first good code; returns the recovery codes, shown this once."""
    if user.totp_enabled:
        raise MfaError("MFA đã bật / MFA is already on")
    if user.totp_secret is None:
        raise MfaError("chưa bắt đầu đăng ký MFA / start the enrolment first")
    if not verify_totp(user, box, code):
        raise MfaError("mã không đúng / the code is wrong")
    user.totp_enabled = True
    session.flush()
    return new_recovery_codes(session, config, user)


def disable_mfa(session: Session, user: User) -> None:
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def verify_totp(user: User, box: SecretBox, code: str, *, at: float | None = None) -> bool:
    """True for a code of the current step (or one either side) not used before."""
    if user.totp_secret is None:
        return False
    code = "".join(str(code).split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return False
    secret = box.open(user.totp_secret.encode("ascii"))["totp"]
    totp = _totp(secret)
    now = time.time() if at is None else at
    step = int(now // TOTP_PERIOD)
    for candidate in range(step - TOTP_WINDOW, step + TOTP_WINDOW + 1):
        if user.totp_last_step is not None and candidate <= user.totp_last_step:
            continue  # replay of an accepted code (or an older one)
        if secrets.compare_digest(totp.at(candidate * TOTP_PERIOD), code):
            user.totp_last_step = candidate
            return True
    return False


def new_recovery_codes(session: Session, config: AuthConfig, user: User) -> list[str]:
    """Replace the user's recovery codes; returns them in clear, this once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(config.recovery_codes)
    ]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(config, code)))
    session.flush()
    return codes


def use_recovery_code(session: Session, config: AuthConfig, user: User, code: str) -> bool:
    """True (and the code is spent) when `code` is one of the user's unused recovery codes."""
    typed = "".join(str(code).lower().split())
    if len(typed) != 11:
        return False
    rows = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in rows:
        if verify_password(config, row.code_hash, typed):
            row.used_at = utcnow()
            session.flush()
            return True
    return False


def remaining_recovery_codes(session: Session, user: User) -> int:
    rows = session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    return len(rows)


def verify_second_factor(session: Session, config: AuthConfig, box: SecretBox, user: User, code: str) -> bool:
    """A TOTP code, or a recovery code (xxxxx-xxxxx)."""
    if "-" in code or len("".join(code.split())) == 11:
        return use_recovery_code(session, config, user, code)
    return verify_totp(user, box, code)
