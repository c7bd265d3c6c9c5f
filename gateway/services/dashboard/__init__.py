"""The dashboard: live portfolio across bots, stored snapshots and the chart series."""
