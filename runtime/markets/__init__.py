"""The pool's market catalogue, loaded once in the warm parent and shared by its bots.

`shared`: what the warm parent loads (and how it learns which exchange); `intern`: how a
bot's ccxt clients take the shared objects; `hook`: the patch of FreqTrade's market loading
in the bot child. See docs/runtime.md, "Market data shared by the bots".
"""
