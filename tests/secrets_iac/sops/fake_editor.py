"""A scripted stand-in for $EDITOR: `python fake_editor.py FILE`, driven by two environment variables.

FAKE_EDITOR_STEPS is a JSON list with one step per run of the editor; FAKE_EDITOR_LOG is a file that
gets one JSON line per run (the file it was given, its mode, its folder's mode, the content it saw),
which also counts the runs. A step may hold:
- "signal": a signal name sent to the process that started the editor (before editing), or to the
  editor itself with "to": "self";
- "replace": [old, new] text replaced in the file; "write": the whole new content;
- "exit": the exit status (default 0).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time
from pathlib import Path


def main() -> int:
    target = Path(sys.argv[-1])
    log = Path(os.environ["FAKE_EDITOR_LOG"])
    steps = json.loads(os.environ["FAKE_EDITOR_STEPS"])
    run = len(log.read_text().splitlines()) if log.exists() else 0
    step = steps[min(run, len(steps) - 1)]
    entry = {
        "path": str(target),
        "file_mode": stat.S_IMODE(target.stat().st_mode),
        "dir_mode": stat.S_IMODE(target.parent.stat().st_mode),
        "content": target.read_text(errors="replace"),
        "args": sys.argv[1:-1],
    }
    with log.open("a") as handle:
        handle.write(json.dumps(entry) + "\n")
    if "signal" in step:
        os.kill(os.getpid() if step.get("to") == "self" else os.getppid(), getattr(signal, step["signal"]))
        time.sleep(0.3)
    if "replace" in step:
        old, new = step["replace"]
        text = target.read_text()
        assert old in text, f"{old!r} not in the file"
        target.write_text(text.replace(old, new))
    if "write" in step:
        target.write_text(step["write"])
    return int(step.get("exit", 0))


if __name__ == "__main__":
    sys.exit(main())
