"""The build date: one place, light to import (the cache keys on it before any render)."""

from __future__ import annotations

import datetime
import os


def build_date() -> str:
    """The date printed in slugs: SOURCE_DATE_EPOCH when set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.UTC) if epoch
              else datetime.datetime.now(datetime.UTC))
    return moment.date().isoformat()
