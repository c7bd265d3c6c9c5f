"""The import of the old MongoDB data (`cryptopilot migrate mongo`, docs/migrate-from-mongo.md)."""
