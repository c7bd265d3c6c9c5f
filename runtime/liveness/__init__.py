"""Is each bot's trading loop alive? Heartbeats from inside FreqTrade, stall detection, metrics."""
