"""The strategy store: a git repository of strategy code, its metadata, validation and deploys."""
