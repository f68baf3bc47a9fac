"""The numba-compiled kernel (imports numba: use only where the compile or cache load pays off).

``simulate_nb`` is :func:`sequence.strategy.kernel.simulate` compiled with
``cache=True`` (the machine code is stored next to the source, in
``__pycache__``, or under ``$NUMBA_CACHE_DIR``), ``nogil=True`` so sweeps run
one call per thread on all cores, and no fastmath.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from sequence.strategy import kernel

__all__ = ["simulate_nb", "sweep_nb"]

simulate_nb = njit(cache=True, nogil=True, error_model="numpy")(kernel.simulate)


@njit(cache=True, nogil=True, error_model="numpy")
def sweep_nb(h: Any, l: Any, c: Any, params: Any, out: Any) -> None:  # noqa: E741
    """Run every row of ``params`` (m x N_PARAMS); ``out[j] = fills, closes, B, E, max_dd, stop``."""
    no_fills = np.empty(0, dtype=np.float64)
    for j in range(params.shape[0]):
        nf, ncl, b, e, dd, stop = simulate_nb(h, l, c, params[j], no_fills, no_fills)
        out[j, 0] = nf
        out[j, 1] = ncl
        out[j, 2] = b
        out[j, 3] = e
        out[j, 4] = dd
        out[j, 5] = stop
