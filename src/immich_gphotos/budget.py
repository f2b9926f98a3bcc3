"""RequestBudget: every Google Library API request counted per Pacific day, none sent past the budget.

Fed by an httpx request hook, so retries, resumable chunks and queries all count, in one place.
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

    def used_today(self) -> int:
        return self._load(self._today())

    def remaining(self) -> int:
        return max(0, self.limit - self.used_today())

    def take(self) -> None:
        """Count one request, or refuse it when the day's budget is spent."""
        with self._lock:
            day = self._today()
            if self._load(day) >= self.limit:
                raise QuotaReached(
                    f"Stopped at the daily budget of {self.limit} Google requests ([google] "
                    "daily_request_budget); progress is saved and the next run after midnight "
                    "Pacific time continues.",
                    kind="budget",
                )
            self._add(1, day)
            self.sent += 1

    def hook(self, request: httpx.Request) -> None:
        self.take()
