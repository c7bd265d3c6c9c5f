"""All services of one gateway, wired together from settings, database and token verifier."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.auth.identity import Authenticator, IdTokenVerifier
from gateway.auth.passwords import PasswordHasher
from gateway.auth.tokens import TokenIssuer
from gateway.db.database import Database
from gateway.mail import LogMailer, Mailer, SmtpMailer
from gateway.services.account import AccountService
from gateway.services.audit import AuditLog
from gateway.services.auth import AuthService
from gateway.services.common import Clock, utcnow
from gateway.services.notifications import NotificationStore
from gateway.services.sessions import SessionStore
from gateway.services.throttle import LoginThrottle
from gateway.services.users import UserStore
from gateway.settings import Settings


@dataclass(frozen=True)
class Services:
    """The HTTP-free core the handlers call into."""

    users: UserStore
    sessions: SessionStore
    notifications: NotificationStore
    audit: AuditLog
    tokens: TokenIssuer
    passwords: PasswordHasher
    authenticator: Authenticator
    auth: AuthService
    account: AccountService


def build_mailer(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        return LogMailer()
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def build_services(
    settings: Settings, db: Database, firebase: IdTokenVerifier, clock: Clock = utcnow
) -> Services:
    users = UserStore(db, clock)
    sessions = SessionStore(
        db,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
        clock=clock,
    )
    audit = AuditLog(db, clock)
    tokens = TokenIssuer(settings.jwt_secret, settings.access_token_ttl_seconds, clock)
    passwords = PasswordHasher(settings.bcrypt_rounds)
    authenticator = Authenticator(tokens, firebase, users)
    throttle = LoginThrottle(
        audit,
        per_account=settings.login_max_failures_per_account,
        per_ip=settings.login_max_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
    )
    auth = AuthService(
        users=users,
        sessions=sessions,
        passwords=passwords,
        tokens=tokens,
        authenticator=authenticator,
        audit=audit,
        throttle=throttle,
    )
    account = AccountService(
        db=db,
        users=users,
        sessions=sessions,
        passwords=passwords,
        audit=audit,
        mailer=build_mailer(settings),
        app_url=settings.app_url,
        clock=clock,
    )
    return Services(
        users=users,
        sessions=sessions,
        notifications=NotificationStore(db, clock),
        audit=audit,
        tokens=tokens,
        passwords=passwords,
        authenticator=authenticator,
        auth=auth,
        account=account,
    )
