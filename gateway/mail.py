"""Outgoing e-mail: SMTP when configured, otherwise the message is only logged."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    """Sends one plain-text e-mail; returns how it was delivered ("smtp" or "logged")."""

    async def send(self, to: str, subject: str, body: str) -> str: ...


class LogMailer:
    """Used when no SMTP server is configured: records that a message would have been sent."""

    async def send(self, to: str, subject: str, body: str) -> str:
        logger.info("e-mail not sent (no SMTP configured): to=%s subject=%s", to, subject)
        return "logged"


class SmtpMailer:
    """Sends through an SMTP server (blocking smtplib, run in a thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    async def send(self, to: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        await asyncio.to_thread(self._send, message)
        logger.info("e-mail sent via %s:%s to=%s", self.host, self.port, to)
        return "smtp"

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
