"""Whole-platform backup and restore: `cryptopilot backup` / `cryptopilot restore`.

One encrypted archive holds the gateway's database, every same-host pool's state (pool.json,
each bot's config and trade database), the strategies and the configs, so the platform can
move to a new VPS. It spans the gateway and the pools, hence a top-level package; the
pools' continuous trade backup to Turso is another thing and lives in `runtime/backup/`.
"""
