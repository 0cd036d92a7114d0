"""How late the event loop wakes a task: the longest stall a user's Home Assistant would feel."""

import asyncio
import time


class LoopProbe:
    """Sleeps 1 ms in a loop and records how much later than asked it wakes up."""

    def __init__(self) -> None:
        """Not running until `start`."""
        self.max_lag_s = 0.0
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin probing on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = time.perf_counter() - started - 0.001
            self.lags.append(lag)
            self.max_lag_s = max(self.max_lag_s, lag)

    def p99_ms(self) -> float:
        """99th percentile lag in ms."""
        ordered = sorted(self.lags)
        return 1000 * ordered[int(len(ordered) * 0.99)] if ordered else 0.0
