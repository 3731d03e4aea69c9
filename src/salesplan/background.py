"""Work in a forked process while this one goes on: the second core of a 2-core machine.

Two uses (see loading.py):
- A large plan spends most of its load time in libyaml's event stream, one core per file.
  The territories file is parsed by a child process and handed back pickled (a few tenths
  of a second for 10,000 territories) while the parent reads the org, the metrics and the
  submissions.
- The checks that only report run in a child while the command computes; they hand back
  their diagnostics, and the command waits for them before it writes or prints anything.

Without fork, or if the child fails, the work is simply done in this process (as it is when
other threads run: forking them is unsafe).
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` in a forked child; the returned function waits for and returns its result."""
    if not hasattr(os, "fork") or threading.active_count() > 1:  # forking threads is unsafe
        value = work()
        return lambda: value
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running any exit handler
        status = 0
        try:
            os.close(read_end)
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as source:
            payload = source.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            return work()
        value: T = pickle.loads(payload)  # our own child's output
        return value

    return result
