"""The threads that run the web's requests (backend/api/request_body.RequestThreads)."""

import threading
import time

from backend.api.request_body import RequestThreads


def test_a_thread_is_kept_once_the_request_it_runs_has_returned():
    threads = RequestThreads(keep=1)
    # given: a request whose client went away while its view still runs
    busy = threads.take()
    view_may_end = threading.Event()
    busy.submit(view_may_end.wait, 300)
    threads.give_back(busy)
    # then: the next request does not queue behind it
    other = threads.take()
    assert other is not busy
    threads.give_back(other)
    _wait_until(lambda: threads.idle == 1)
    # when: the view ends, its thread is idle again but one beyond `keep` is not kept
    view_may_end.set()
    busy.submit(lambda: None).result(timeout=300)
    _wait_until(lambda: busy._shutdown)
    assert threads.take() is other


def _wait_until(condition) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("never happened")
