"""Risk: per-bot settings and their FreqTrade mapping, the trade monitor and emergency stops."""
