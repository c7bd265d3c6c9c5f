"""The relational schema (`schema.py`) and the Alembic revisions that build it (`versions/`)."""
