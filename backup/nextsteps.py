"""What is left to do by hand after a restore, printed as a numbered list."""

from __future__ import annotations

from pathlib import Path

from backup.configs import SECRET_VARIABLES, SECRETS_MEMBER
from backup.manifest import Manifest


def next_steps(
    manifest: Manifest, pool_targets: dict[str, Path], config_out: Path, differing: list[str]
) -> list[str]:
    """The manual steps that finish a move, in the order to do them."""
    steps = []
    if manifest.include_secrets:
        steps.append(
            f"Secrets: move the values in {config_out / SECRETS_MEMBER} into the services'"
            " env files, then delete that file."
        )
    else:
        steps.append(
            "Secrets: the archive carries none. Set "
            + ", ".join(SECRET_VARIABLES)
            + " where used (the old CRYPTOPILOT_JWT_SECRET keeps users logged in; a new one"
            " logs everyone out; every pool and the gateway share CRYPTOPILOT_POOL_TOKEN)."
        )
    if manifest.configs:
        steps.append(
            f"Configs: review {config_out / 'config'} ({', '.join(manifest.configs)}) and install"
            " them where the services read them (compose .env or /etc/cryptopilot/)."
        )
    if manifest.database is not None:
        steps.append(
            f"Schema: the database is at revision {manifest.database.schema_revision or '-'};"
            " run `cryptopilot db upgrade` before starting the gateway."
        )
    if manifest.database is not None and manifest.strategy_repo_head is None:
        steps.append(
            "Strategy store: the archive holds no repository (none at the old host's"
            " CRYPTOPILOT_STRATEGY_REPO); the gateway seeds a new one, whose commits differ from"
            " the versions the bots' records name: deploy each strategy again."
        )
    for pool_id, target in sorted(pool_targets.items()):
        steps.append(
            f"Pool {pool_id}: make {target} belong to the user the pool runs as (e.g."
            f" `chown -R cryptopilot: {target}`) and start it with --pool-id {pool_id} and"
            f" CRYPTOPILOT_POOL_DATA_DIR={target}; its bots come back on their old API ports."
        )
    if pool_targets:
        steps.append(
            "Pools' public URLs: if a pool's control URL changed, update CRYPTOPILOT_POOLS"
            " (ID=URL) on the gateway, or CRYPTOPILOT_POOL_PUBLIC_URL on an announcing pool."
        )
    if differing:
        steps.append(
            f"Strategies: {', '.join(differing)} differ from this install; the archived copies"
            f" are in {config_out / 'strategies'}: install them before starting the pools."
        )
    steps += [
        "DNS: point the API host's A/AAAA records at this VPS and install its TLS certificate.",
        "Vercel: if the API URL changed, set VITE_API_URL and VITE_FREQTRADE_API_URL in the"
        " project's environment and redeploy; keep the frontend's origin in"
        " CRYPTOPILOT_CORS_ORIGINS.",
        "Verify: GET /api/health, log in, compare bots and trades with the old host; then"
        " decommission the old VPS (docs/move-vps.md).",
    ]
    return steps
