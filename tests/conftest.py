"""Root test configuration: shared fixture modules are registered here."""

pytest_plugins: list[str] = [
    "tests.fixtures.sandbox",
    "tests.fixtures.firebase",
    "tests.fixtures.postgres",
    "tests.fixtures.sqld",
]
