"""A user's bots: provisioning and placement, their records, their FreqTrade APIs, trades."""
