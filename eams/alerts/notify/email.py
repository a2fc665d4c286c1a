"""E-mail over SMTP with STARTTLS and authentication, through aiosmtplib."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field

from eams.alerts.notify.base import DeliveryError, Notification


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1)
    sender: str = Field(alias="from")
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    tls: bool = Field(default=False, description="Implicit TLS (port 465) instead of STARTTLS")
    username: str | None = None
    password: str | None = Field(default=None, description="Secret: stored encrypted, never shown")
    ca_file: str | None = Field(default=None, description="Trust this CA (a private mail relay)")
    verify_tls: bool = True
    timeout: float = 20.0


class EmailChannel:
    kind = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_file)
        if not self.config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def build(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.to)
        message["Subject"] = notification.title
        message["Date"] = formatdate(localtime=False)
        # The de-duplication key as Message-ID: a resent copy carries the same id.
        domain = self.config.sender.rsplit("@", 1)[-1] or "eams"
        message["Message-ID"] = f"<{notification.key}@{domain}>"
        message["X-EAMS-Receiver"] = notification.receiver
        message.set_content(notification.text(), charset="utf-8")
        return message

    async def send(self, notification: Notification) -> None:
        config = self.config
        try:
            await aiosmtplib.send(
                self.build(notification),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                start_tls=config.starttls and not config.tls,
                use_tls=config.tls,
                tls_context=self._tls_context(),
                timeout=config.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the relay's final answer (unknown mailbox, relaying denied, bad credentials);
            # 4xx is "try again later".
            raise DeliveryError(
                f"SMTP {config.host}:{config.port}: {exc}", permanent=500 <= exc.code < 600
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(500 <= error.code < 600 for error in exc.recipients)
            raise DeliveryError(f"SMTP {config.host}:{config.port}: {exc}", permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {config.host}:{config.port}: {exc}") from exc

    async def close(self) -> None:
        return None
