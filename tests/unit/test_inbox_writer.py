"""The inbox writer's group commit: every request gets its own result, batches form under load, errors reach all."""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.inbox_writer import InboxWriter, Written


class Recorder:
    """A batch writer that holds its first batch until released, so later writes pile up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()

    def __call__(self, items):
        self.batches.append(list(items))
        self.release.wait(5)
        return Written([item * 10 for item in items])


async def _write_all(writer: InboxWriter, items, release: threading.Event | None = None):
    first = asyncio.ensure_future(writer.write(items[0]))
    await asyncio.sleep(0.05)  # the writer thread is now inside the first batch
    rest = [asyncio.ensure_future(writer.write(item)) for item in items[1:]]
    await asyncio.sleep(0.05)
    if release is not None:
        release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_writes_that_arrive_while_a_batch_is_stored_go_together_and_each_gets_its_own_result():
    recorder = Recorder()
    writer = InboxWriter(recorder, max_batch=64)
    results = asyncio.run(_write_all(writer, list(range(1, 21)), recorder.release))
    writer.close()
    assert results == [n * 10 for n in range(1, 21)]
    assert recorder.batches == [[1], list(range(2, 21))]


def test_batches_are_capped():
    recorder = Recorder()
    writer = InboxWriter(recorder, max_batch=8)
    asyncio.run(_write_all(writer, list(range(1, 21)), recorder.release))
    writer.close()
    assert [len(batch) for batch in recorder.batches] == [1, 8, 8, 3]


def test_a_failed_batch_fails_every_write_in_it():
    def refuse(items):
        raise ConnectionError("database down")

    writer = InboxWriter(refuse)
    results = asyncio.run(_write_all(writer, [1, 2, 3]))
    writer.close()
    assert [type(result) for result in results] == [ConnectionError] * 3


def test_what_follows_a_batch_runs_before_its_answers():
    followed: list[str] = []
    writer = InboxWriter(lambda items: Written(list(items), then=lambda: followed.append("enqueued")))

    async def main():
        result = await writer.write(1)
        return result, list(followed)

    assert asyncio.run(main()) == (1, ["enqueued"])
    writer.close()


def test_close_writes_what_is_waiting_and_stops_the_thread():
    written: list[int] = []
    before = set(threading.enumerate())
    writer = InboxWriter(lambda items: written.extend(items) or Written(list(items)))
    assert asyncio.run(writer.write(7)) == 7
    writer.close()
    assert written == [7] and not [
        thread for thread in set(threading.enumerate()) - before if thread.name.startswith("inbox-")
    ]


@pytest.mark.parametrize("count", [1, 50])
def test_concurrent_writers_on_one_loop_all_get_answers(count):
    writer = InboxWriter(lambda items: Written([f"stored {item}" for item in items]))

    async def main():
        return await asyncio.gather(*(writer.write(n) for n in range(count)))

    assert asyncio.run(main()) == [f"stored {n}" for n in range(count)]
    writer.close()
