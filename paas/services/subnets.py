"""One subnet picked and its network created at a time in this process: deploys and builds of
several apps at once would otherwise all pick the same lowest free subnet, and all but one
retry (five times, then fail). Other platforms on the daemon are still met by the retries."""
from __future__ import annotations

import threading

PICKING = threading.Lock()
