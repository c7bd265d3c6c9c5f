"""The offline sandbox exchange: a simulated spot market served over Binance's public REST API.

Unmodified FreqTrade dry-run bots trade against it with no internet and no keys.
- `sandbox.catalog`: the listed pairs (`sandbox_pairs`, `market_pair`).
- `sandbox.walk` and `sandbox.market`: deterministic prices, candles, tickers and books.
- `sandbox.server`: `create_app(settings)`, the aiohttp app.
- `sandbox.botconfig`: the FreqTrade `exchange` block (`exchange_config`) pointing at it.
- `sandbox.cli`: the `cryptopilot sandbox` command (also `python -m sandbox`).
"""
