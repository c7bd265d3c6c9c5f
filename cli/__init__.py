"""The `cryptopilot` command line: one entry point, sub-commands contributed by each package."""
