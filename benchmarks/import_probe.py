"""Run a console script in this process; record the modules it imported and the CPU time importing took.

    python benchmarks/import_probe.py REPORT.json .venv/bin/cxralign eval -m reference:runs/x ...

Wraps the interpreter's one entry point for a module not yet imported
(``_frozen_importlib._find_and_load``, looked up on every ``import``), so the time
counted is the CPU time of outermost imports only, module code run at import time
included. At exit REPORT.json holds ``cpu_s`` (whole process, interpreter start
included), ``import_cpu_s``, ``peak_rss_mb``, ``exit_code`` and ``modules`` (sorted
top-level names of ``sys.modules``). Worker processes the command starts are not
counted. Used by ``bench_startup.py`` and by tests/test_imports_on_demand.py.
"""

from __future__ import annotations

import atexit
import json
import resource
import runpy
import sys
import time

_bootstrap = sys.modules["_frozen_importlib"]


class _ImportClock:
    """CPU seconds spent inside outermost imports (nested imports are part of their parent's time)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._find_and_load = _bootstrap._find_and_load

    def __call__(self, name, import_):  # noqa: ANN001, ANN204 - the bootstrap's own signature
        if self._depth:
            return self._find_and_load(name, import_)
        self._depth += 1
        started = time.process_time()
        try:
            return self._find_and_load(name, import_)
        finally:
            self.seconds += time.process_time() - started
            self._depth -= 1


def _peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's own peak (VmHWM; ru_maxrss keeps the peak of the process that exec'd it)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return usage.ru_maxrss / 1024


def main() -> None:
    report, script, *args = sys.argv[1:]
    clock = _ImportClock()
    outcome = {"exit_code": 0}

    def write_report() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        payload = {
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "import_cpu_s": clock.seconds,
            "peak_rss_mb": _peak_rss_mb(usage),
            "exit_code": outcome["exit_code"],
            "modules": sorted({name.partition(".")[0] for name in list(sys.modules)}),
        }
        with open(report, "w") as handle:
            json.dump(payload, handle)

    atexit.register(write_report)
    _bootstrap._find_and_load = clock
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as done:
        code = done.code
        outcome["exit_code"] = code if isinstance(code, int) else (0 if code is None else 1)
        raise


if __name__ == "__main__":
    main()
