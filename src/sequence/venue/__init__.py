"""The simulated exchange: Bybit v5 and OKX v5 over HTTP, driven by a candle feed.

The public Python API (stable: other packages and tests import it from here):

- the engine and its records: :class:`Venue`, :class:`Market`, :func:`default_markets`,
  :class:`Account`, :class:`Order`, :class:`Position`, :class:`Execution`,
  :class:`LedgerEntry`, :class:`VenueError`, :func:`dec`, :func:`fmt`;
- the market: :class:`MarketProfile` (spread, volume cap, funding, fees),
  :class:`MarketClock`, :class:`CandleFeed`, :class:`RandomWalkFeed`;
- a served venue for tests: :func:`running_venue`, :class:`AdminClient`, :class:`Key`,
  :class:`AdminError`, :func:`ccxt_bybit`, :func:`ccxt_okx`.

Layout: ``model`` (records), ``wallets`` (money and margin), ``orders`` (order
entry), ``matching`` (fills), ``engine`` (:class:`Venue`), ``feed`` (prices and
clock), ``profile``; ``protocol`` and ``state`` (HTTP plumbing both exchanges
share), the ``bybit`` and ``okx`` packages, ``admin`` (the admin API),
``server`` (the aiohttp app), ``client`` (:func:`running_venue` and the admin
client), ``cli``.
"""

from sequence.venue.client import (
    AdminClient,
    AdminError,
    Key,
    RunningVenue,
    ccxt_bybit,
    ccxt_okx,
    running_venue,
)
from sequence.venue.engine import Venue, build_venue
from sequence.venue.feed import CandleFeed, MarketClock, RandomWalkFeed
from sequence.venue.model import (
    Account,
    ApiKey,
    Execution,
    LedgerEntry,
    Market,
    Order,
    Position,
    Transfer,
    VenueError,
    dec,
    default_markets,
    fmt,
)
from sequence.venue.profile import MarketProfile

__all__ = [
    "Account", "AdminClient", "AdminError", "ApiKey", "CandleFeed", "Execution", "Key",
    "LedgerEntry", "Market", "MarketClock", "MarketProfile", "Order", "Position", "RandomWalkFeed",
    "RunningVenue", "Transfer", "Venue", "VenueError", "build_venue", "ccxt_bybit", "ccxt_okx",
    "dec", "default_markets", "fmt", "running_venue",
]
