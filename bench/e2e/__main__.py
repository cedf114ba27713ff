"""``python -m bench.e2e`` -- see `bench.e2e.harness`."""

import sys

from bench.e2e.harness import main

sys.exit(main())
