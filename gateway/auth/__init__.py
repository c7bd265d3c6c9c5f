"""Authentication: who is calling the gateway (Firebase ID tokens, own JWTs)."""
