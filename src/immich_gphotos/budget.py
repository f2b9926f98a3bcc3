"""RequestBudget: every Google Library API request counted per Pacific day, none sent past the budget.

Fed by an httpx request hook, so retries, resumable chunks and queries all count, in one place.
The day's count is read from the state once (one run at a time holds the lock, so nothing else
adds to it meanwhile) and then kept here; each request still adds itself to the state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import httpx

from immich_gphotos.clock import pacific_day
from immich_gphotos.errors import QuotaReached


class RequestBudget:
    def __init__(
        self,
        limit: int,
        load: Callable[[date], int],
        add: Callable[[int, date], int],
        today: Callable[[], date] = pacific_day,
    ) -> None:
        self.limit = limit
        self._load, self._add, self._today = load, add, today
        self._lock = threading.Lock()
        self.sent = 0  # requests sent by this process
        self._day: date | None = None
        self._used = 0  # the state's count for ``_day``

    def used_today(self) -> int:
        with self._lock:
            return self._count(self._today())

    def _count(self, day: date) -> int:
        if day != self._day:  # the first request, or a new Pacific day
            self._day, self._used = day, self._load(day)
        return self._used

    def remaining(self) -> int:
        return max(0, self.limit - self.used_today())

    def take(self) -> None:
        """Count one request, or refuse it when the day's budget is spent."""
        with self._lock:
            day = self._today()
            if self._count(day) >= self.limit:
                raise QuotaReached(
                    f"Stopped at the daily budget of {self.limit} Google requests ([google] "
                    "daily_request_budget); progress is saved and the next run after midnight "
                    "Pacific time continues.",
                    kind="budget",
                )
            self._used = self._add(1, day)
            self.sent += 1

    def hook(self, request: httpx.Request) -> None:
        self.take()
