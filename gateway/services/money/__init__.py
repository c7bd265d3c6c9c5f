"""Paper money: exact cents, the wallet and its ledger, and moving money to and from bots."""
