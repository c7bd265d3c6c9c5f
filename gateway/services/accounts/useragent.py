"""Coarse device and browser names from a User-Agent header, for the sessions list."""

from __future__ import annotations

import re

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
    ("curl", r"^curl/"),
    ("Python", r"Python|aiohttp|httpx|requests"),
)
_DEVICES = (
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("Windows PC", r"Windows"),
    ("Mac", r"Macintosh|Mac OS X"),
    ("Linux PC", r"Linux|X11"),
)


def parse_user_agent(user_agent: str) -> tuple[str, str]:
    """(device, browser) such as ("Mac", "Firefox"); "Unknown" when unrecognised."""
    device = next((name for name, rx in _DEVICES if re.search(rx, user_agent)), "Unknown")
    browser = next((name for name, rx in _BROWSERS if re.search(rx, user_agent)), "Unknown")
    return device, browser
