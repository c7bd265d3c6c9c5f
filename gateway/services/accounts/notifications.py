"""Per-user notification preferences (defaults until the user saves them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from sqlalchemy import select, update

from gateway.db.database import Database
from gateway.services.common import Clock, utcnow
from migrations.schema import notification_settings

Frequency = Literal["instant", "hourly", "daily"]


@dataclass(frozen=True)
class NotificationSettings:
    """What a user wants to be told about, and how often."""

    trade_alerts: bool = True
    daily_summary: bool = True
    bot_errors: bool = True
    push_notifications: bool = False
    frequency: Frequency = "instant"


class NotificationStore:
    """Reads and upserts `notification_settings`."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def get(self, user_id: str) -> NotificationSettings:
        async with self.db.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(notification_settings).where(notification_settings.c.user_id == user_id)
                )
            ).first()
        if row is None:
            return NotificationSettings()
        return NotificationSettings(
            trade_alerts=row.trade_alerts,
            daily_summary=row.daily_summary,
            bot_errors=row.bot_errors,
            push_notifications=row.push_notifications,
            frequency=row.frequency,
        )

    async def save(self, user_id: str, prefs: NotificationSettings) -> None:
        values = {**asdict(prefs), "updated_at": self.clock()}
        async with self.db.engine.begin() as conn:
            changed = await conn.execute(
                update(notification_settings)
                .where(notification_settings.c.user_id == user_id)
                .values(**values)
            )
            if changed.rowcount == 0:
                await conn.execute(notification_settings.insert().values(user_id=user_id, **values))
