"""The clinic that runs the assistant: its profile, checked, and the lines it adds.

A deployer edits one file, ``clinic.yml`` (or the file named by ``CLINIC_PROFILE``).
With no clinic named there, the assistant stays general ("your care team"). With
one, the logistics answers (where to get it, booking, cost, who to ask) and the
"ask your care team" line name the clinic and how to reach it. Every field is
checked on load; a bad one stops start-up with an error that names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core.yaml_files import read_yaml

PROFILE_FILE = Path(__file__).resolve().parents[2] / "clinic.yml"
REGIONS = ("us", "uk", "ca")
HOME_REGION = REGIONS[0]  # the one the answers are written for, and the fallback
TREATMENTS = {"iv_ketamine": "ketamine by IV drip", "spravato": "Spravato, a nose spray"}
NEITHER = "none"  # treatments: [none] says the clinic gives neither; [] says nothing
# What each answer unit may add about the clinic (its `clinic:` list in the content).
DETAILS = ("offers", "place", "booking", "prices", "contact")
TEXT_FIELDS = ("name", "address", "hours", "payment_notes")
URL_FIELDS = ("website", "booking_url")
FIELDS = (*TEXT_FIELDS, *URL_FIELDS, "phone", "treatments", "prices", "region")
MAX_TEXT = 300
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{5,24}")


class ProfileError(ValueError):
    """The clinic profile is unreadable or a field in it is wrong."""


@dataclass(frozen=True)
class Price:
    """One price as the clinic states it."""

    item: str
    price: str
    note: str = ""


@dataclass(frozen=True)
class Clinic:
    """A clinic's details, as its staff wrote them in the profile."""

    name: str
    phone: str = ""
    website: str = ""
    booking_url: str = ""
    address: str = ""
    hours: str = ""
    treatments: tuple[str, ...] = ()
    prices: tuple[Price, ...] = ()
    payment_notes: str = ""

    def offers(self) -> str:
        """What the clinic offers, in words."""
        if not self.treatments:  # not stated: say nothing
            return ""
        if self.treatments == (NEITHER,):
            return f"{self.name} does not give ketamine or Spravato."
        names = " and ".join(TREATMENTS[t] for t in self.treatments)
        return f"At {self.name} you can get {names}."

    def place(self) -> str:
        """Where and when, if the profile says."""
        parts = [f"{self.name} is at {self.address}." if self.address else ""]
        parts.append(f"Opening hours: {self.hours}." if self.hours else "")
        return " ".join(p for p in parts if p)

    def booking(self) -> str:
        """How to book, if the profile says."""
        if self.booking_url:
            return f"To book with {self.name}, go to {self.booking_url}."
        if self.phone:
            return f"To book with {self.name}, call {self.phone}."
        return ""

    def prices_text(self) -> str:
        """The prices as the clinic states them, and its payment notes."""
        listed = "; ".join(
            f"{p.item}: {p.price}" + (f" ({p.note})" if p.note else "") for p in self.prices
        )
        parts = [f"Prices at {self.name}, as the clinic gives them: {listed}." if listed else ""]
        parts.append(self.payment_notes)
        return " ".join(p for p in parts if p)

    def contact(self) -> str:
        """How to reach the clinic's care team."""
        ways = [f"call {self.phone}" if self.phone else ""]
        ways.append(f"visit {self.website}" if self.website else "")
        ways = [w for w in ways if w]
        if not ways:
            return ""
        return f"To ask the care team at {self.name}, {' or '.join(ways)}."

    def details(self, kinds: tuple[str, ...]) -> str:
        """The lines for ``kinds`` (a unit's ``clinic:`` list), in order, as one text."""
        texts = {
            "offers": self.offers,
            "place": self.place,
            "booking": self.booking,
            "prices": self.prices_text,
            "contact": self.contact,
        }
        return " ".join(t for t in (texts[k]() for k in kinds) if t)


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ProfileError(f"{where}: {key}: expected text, got {type(value).__name__}")
    text = " ".join(str(value).split())
    if len(text) > MAX_TEXT:
        raise ProfileError(f"{where}: {key}: longer than {MAX_TEXT} characters")
    return text


def _url(data: Mapping[str, Any], key: str, where: str) -> str:
    url = _text(data, key, where)
    parts = urlsplit(url)
    if url and (parts.scheme not in {"http", "https"} or "." not in parts.netloc):
        raise ProfileError(f"{where}: {key}: {url!r} is not a web address (https://...)")
    return url


def _phone(data: Mapping[str, Any], where: str) -> str:
    phone = _text(data, "phone", where)
    digits = sum(c.isdigit() for c in phone)
    if phone and (not PHONE.fullmatch(phone) or not 7 <= digits <= 15):
        raise ProfileError(
            f"{where}: phone: {phone!r} is not a phone number "
            "(7-15 digits; spaces, dashes, dots, brackets and a leading + allowed)"
        )
    return phone


def _prices(data: Mapping[str, Any], where: str) -> tuple[Price, ...]:
    items = data.get("prices") or []
    if not isinstance(items, list):
        raise ProfileError(f"{where}: prices: expected a list of {{item, price, note}}")
    prices = []
    for i, item in enumerate(items):
        at = f"{where}: prices[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"item", "price", "note"}:
            raise ProfileError(f"{at}: expected item, price and an optional note")
        name, price = _text(item, "item", at), _text(item, "price", at)
        if not name or not price:
            raise ProfileError(f"{at}: both item and price are needed")
        prices.append(Price(name, price, _text(item, "note", at)))
    return tuple(prices)


def _treatments(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    treatments = data.get("treatments") or []
    known = isinstance(treatments, list) and all(t in TREATMENTS for t in treatments)
    if not (known or treatments == [NEITHER]):
        raise ProfileError(
            f"{where}: treatments: expected a list of {', '.join(TREATMENTS)}, or [{NEITHER}] "
            f"for neither, got {treatments!r}"
        )
    return tuple(dict.fromkeys(treatments))


@dataclass(frozen=True)
class Profile:
    """A deployment: its clinic (None for the neutral profile) and its region, if set."""

    clinic: Clinic | None = None
    region: str = ""


def read_profile(data: Any, where: str = "clinic profile") -> Profile:
    """The profile in parsed YAML, checked; an empty file is the neutral profile."""
    if data is None:
        return Profile()
    if not isinstance(data, Mapping):
        raise ProfileError(f"{where}: expected a mapping of fields")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ProfileError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    name = _text(data, "name", where)
    region = _text(data, "region", where).lower()
    if region and region not in REGIONS:
        raise ProfileError(f"{where}: region: {region!r} is not one of {', '.join(REGIONS)}")
    clinic = Clinic(
        name=name,
        phone=_phone(data, where),
        website=_url(data, "website", where),
        booking_url=_url(data, "booking_url", where),
        address=_text(data, "address", where),
        hours=_text(data, "hours", where),
        treatments=_treatments(data, where),
        prices=_prices(data, where),
        payment_notes=_text(data, "payment_notes", where),
    )
    if name:
        return Profile(clinic, region)
    if clinic != Clinic(name=""):
        raise ProfileError(f"{where}: name: needed when any other clinic detail is set")
    return Profile(None, region)


def profile_path() -> Path:
    """The profile file: ``CLINIC_PROFILE`` if set, else ``clinic.yml`` in the project."""
    return Path(os.environ.get("CLINIC_PROFILE") or PROFILE_FILE)


def load_profile(path: Path | None = None) -> Profile:
    """Read and check the profile at ``path`` (default :func:`profile_path`)."""
    path = path or profile_path()
    try:
        # Every value stays text as written: YAML would read 02071234567 as an octal
        # number and 9:30 as 570.
        data = read_yaml(path, yaml.BaseLoader)
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the clinic profile ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: not valid YAML ({error})") from None
    return read_profile(data, str(path))


@lru_cache(maxsize=1)
def current_profile() -> Profile:
    """The deployment's profile, read once per process."""
    return load_profile()


def default_region() -> str | None:
    """``ASSISTANT_REGION`` if set, else the profile's region, else None."""
    return os.environ.get("ASSISTANT_REGION") or current_profile().region or None


def requested_region(metadata: Any) -> str | None:
    """The region a client asked for in its metadata (``{"region": "uk"}``), else the deployment's.

    A region the assistant does not know ("GB") counts as none asked for, so a page on a
    UK deployment never gets the US crisis lines by a typo. None when neither says;
    :func:`known_region` then gives the home region.
    """
    region = metadata.get("region") if isinstance(metadata, Mapping) else None
    asked = str(region or "").lower()
    return asked if asked in REGIONS else default_region()


def known_region(region: str | None) -> str:
    """``region`` in lower case when it is one of :data:`REGIONS`, else the home region."""
    chosen = str(region or "").lower()
    return chosen if chosen in REGIONS else HOME_REGION
