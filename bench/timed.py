"""One management command, measured from inside its own process. Prints, as the last
line on stderr, the seconds the command itself took (without the interpreter's and
Django's start-up) and the process's peak RSS in MB. The bench runs
`python -m bench.timed verify_evidence` and the like."""

import os
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402 (the settings module must be named first)

django.setup()

from django.core.management import call_command  # noqa: E402

with open(os.devnull, "w") as devnull:
    start = time.perf_counter()
    call_command(*sys.argv[1:], stdout=devnull)
    seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
print(f"{seconds:.6f} {peak_mb:.1f}", file=sys.stderr)
