"""ccxt adapters, one module per venue."""
