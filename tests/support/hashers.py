"""Argon2 at its cheapest, for the test process only.

The platform's Argon2 costs about 0.2 s a hash on a CI machine, and nearly every test creates
users and signs them in: minutes of a run spent hashing. This hasher keeps the algorithm
(``argon2``, the same encoded form), so any process verifies its hashes: Argon2 reads its
parameters from the hash itself. A process with the platform's settings (a worker, ``sequence
run``) then upgrades such a hash at its next sign-in, as Django does for any weaker one.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: argon2's minimum for one lane
    parallelism = 1
