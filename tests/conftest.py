"""Root test configuration: shared fixture modules are registered here."""

pytest_plugins: list[str] = []
