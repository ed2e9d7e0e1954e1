"""Changxiao (长效): long-term management of renovated old residential communities."""

import os

# Piccolo finds its engine through this module; it must be set before any table is used.
os.environ.setdefault("PICCOLO_CONF", "service.piccolo_conf")
