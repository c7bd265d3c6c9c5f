"""FreqTrade strategies shipped with Crypto-Pilot, one per module.

FreqTrade loads them by path (`strategy_path` = this directory), so each module also imports
standalone, with no imports from this package.
"""
