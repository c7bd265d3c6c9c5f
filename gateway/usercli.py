"""User administration for the command line (runs the same services as the HTTP routes)."""

from __future__ import annotations

from gateway.auth.passwords import PasswordHasher
from gateway.db.database import Database
from gateway.models.auth import RegisterRequest
from gateway.models.schema import validate
from gateway.services.accounts.audit import AuditEvent, AuditLog
from gateway.services.accounts.auth import check_password_length
from gateway.services.accounts.users import UserStore
from gateway.settings import Settings


async def create_user(
    settings: Settings, email: str, password: str, name: str | None, *, admin: bool
) -> str:
    """Create an e-mail/password user (admin if asked), migrating first; returns its id."""
    username = name or email.split("@")[0]
    validate({"username": username, "email": email, "password": password}, RegisterRequest)
    check_password_length("password", password)
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        users = UserStore(db)
        user = await users.create(
            email=email,
            username=username,
            password_hash=await PasswordHasher(settings.bcrypt_rounds).hash(password),
            role="admin" if admin else "user",
        )
        await AuditLog(db).record(
            AuditEvent.USER_CREATED_BY_CLI, user_id=user.id, email=user.email, detail=user.role
        )
        return user.id
    finally:
        await db.close()
