"""The live trading engine's pure part: client ids, the orders a bot wants, reconcile, diff, one step.

No Django here: the step talks to the exchange through :class:`sequence.exchanges.port.ExchangePort`
and to the database through the :class:`~sequence.engine.runner.Store` protocol, which
``sequence.trading.store`` implements with the ORM (and tests may implement in memory).
"""
