"""The pools: their registry and health, the one adapter in front of their RPC, the reconciler."""
