"""Organisations with their contact people, and the communication log with remembered details."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from rapport.core.names import fold
from rapport.demo import phrases
from rapport.demo.people import (
    COUNTRY,
    LANGUAGE,
    LOCALE_SHARES,
    LOCALES,
    People,
    locale_pool,
    mobile_numbers,
)

CUSTOMERS_PER_ORGANISATION = 30
ROLES = ["decision_maker", "purchaser", "user", "finance", "other"]
ORG_DOMAIN = {"zh_CN": "com.cn", "zh_TW": "com.tw", "sk_SK": "sk", "en_US": "com", "en_GB": "co.uk"}


@dataclass
class Organisations:
    rows: dict[str, list]  # Organisation field names -> values
    contacts: dict[str, list]  # organisation, person, buying_role, job_title, is_primary
    organisation_of: np.ndarray  # per person: index of their organisation, -1 for none

    def __len__(self) -> int:
        return len(self.rows["name"])


def draw_organisations(
    people: People, *, seed: int, chunk: int = 0, ordinal_offset: int = 0
) -> Organisations:
    """About one organisation per 30 customers, each with 1–5 of them as contact people."""
    rng = np.random.default_rng([seed, chunk, 3])
    n = len(people)
    count = round(n / CUSTOMERS_PER_ORGANISATION)
    locale = rng.choice(len(LOCALES), count, p=LOCALE_SHARES)
    free = {
        li: list(rng.permutation(np.flatnonzero(people.locale == li))) for li in range(len(LOCALES))
    }
    rows: dict[str, list] = {
        k: []
        for k in (
            "name",
            "industry",
            "website",
            "phone",
            "email",
            "tax_id",
            "address",
            "city",
            "country",
            "notes",
        )
    }
    contacts: dict[str, list] = {
        k: [] for k in ("organisation", "person", "buying_role", "job_title", "is_primary")
    }
    organisation_of = np.full(n, -1, dtype=np.int64)
    ordinals = ordinal_offset // 30 + np.arange(count)
    for k in range(count):
        li = int(locale[k])
        loc = LOCALES[li]
        lang = LANGUAGE[loc]
        pool = locale_pool(loc, seed)
        name = pool.companies[rng.integers(len(pool.companies))]
        slug = (
            re.sub(r"[^a-z0-9]", "", fold(name))
            or pool.romanized[rng.integers(len(pool.romanized))]
        )
        slug = f"{slug[:20]}{ordinals[k]}"
        city, _region = pool.cities[rng.integers(len(pool.cities))]
        rows["name"].append(name)
        rows["industry"].append(
            phrases.INDUSTRIES[lang][rng.integers(len(phrases.INDUSTRIES[lang]))]
        )
        rows["website"].append(f"https://www.{slug}.{ORG_DOMAIN[loc]}")
        rows["phone"].append(mobile_numbers(loc, 3 * ordinals[k : k + 1] + 2, seed * 7919 + li)[0])
        rows["email"].append(f"info@{slug}.{ORG_DOMAIN[loc]}")
        rows["tax_id"].append(_tax_id(loc, rng))
        rows["address"].append(
            pool.streets[rng.integers(len(pool.streets))]
            + (
                f"{rng.integers(1, 300)}号"
                if loc == "zh_CN"
                else f"{rng.integers(1, 300)}號"
                if loc == "zh_TW"
                else f" {rng.integers(1, 300)}"
            )
        )
        rows["city"].append(city)
        rows["country"].append(COUNTRY[loc])
        rows["notes"].append("")
        size = min(int(rng.integers(1, 6)), len(free[li]))
        roles = [ROLES[int(rng.integers(2))], *rng.permutation(ROLES)]
        taken: list[str] = []
        for role in roles:
            if len(taken) == size:
                break
            if role in taken and role != "user":
                continue
            person = free[li].pop()
            organisation_of[person] = k
            contacts["organisation"].append(k)
            contacts["person"].append(int(person))
            contacts["buying_role"].append(str(role))
            contacts["job_title"].append(phrases.JOB_TITLES[role][people.language[person]])
            contacts["is_primary"].append(not taken)
            taken.append(role)
    return Organisations(rows=rows, contacts=contacts, organisation_of=organisation_of)


def _tax_id(locale: str, rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, 16))
    return {
        "zh_CN": f"91{digits[:16]}",  # unified social credit code, 18 characters
        "zh_TW": digits[:8],  # 統一編號
        "sk_SK": f"SK20{digits[:8]}",  # IČ DPH
        "en_US": f"{digits[:2]}-{digits[2:9]}",  # EIN
        "en_GB": f"GB{digits[:9]}",  # VAT number
    }[locale]


# Communication log -----------------------------------------------------------------------------

KINDS = np.array(["call", "email", "chat", "visit", "social", "letter", "event"])
KIND_P = np.array([0.32, 0.18, 0.16, 0.12, 0.05, 0.07, 0.10])
PREFERRED_KIND = {
    "phone": "call",
    "sms": "chat",
    "wechat": "chat",
    "email": "email",
    "visit": "visit",
    "post": "letter",
}
DETAIL_KINDS = np.array(["preference", "family_event", "request", "concern"])
DETAIL_P = [0.35, 0.2, 0.3, 0.15]


@dataclass
class Log:
    interactions: dict[str, list]  # person, kind, direction, occurred_at (Unix s), subject, summary
    details: dict[str, list]  # interaction, person, kind, text, relevant_on, pinned, archived

    def __len__(self) -> int:
        return len(self.interactions["person"])


def draw_log(
    people: People,
    orders_per_person: np.ndarray,
    *,
    seed: int,
    chunk: int = 0,
    start: date,
    now: datetime,
    midnights: np.ndarray,
    tz: str,
) -> Log:
    """Calls, visits, emails, chats… and the details customers mentioned, in their language."""
    rng = np.random.default_rng([seed, chunk, 4])
    n = len(people)
    now_ts = int(now.timestamp())
    count = np.minimum(rng.poisson(0.5 + 0.35 * orders_per_person), 15)
    person = np.repeat(np.arange(n), count)
    since = midnights[people.acquired_day[person]] + 9 * 3600
    occurred = since + (rng.random(len(person)) * np.maximum(now_ts - since, 0)).astype(np.int64)
    chrono = np.lexsort((person, occurred))
    person, occurred = person[chrono], occurred[chrono]
    m = len(person)
    kind = KINDS[rng.choice(len(KINDS), m, p=KIND_P)]
    preferred = np.array(people.customers["preferred_channel"], dtype=object)[person]
    habitual = np.array([PREFERRED_KIND.get(p, "call") for p in preferred])
    kind = np.where(rng.random(m) < 0.35, habitual, kind)
    direction = np.where(
        np.isin(kind, ["letter", "event"]) | (rng.random(m) < 0.55), "outbound", "inbound"
    )
    female = np.array(people.customers["gender"], dtype=object)[person] == "female"
    pick = rng.integers(0, 1000, m)
    interactions: dict[str, list] = {
        "person": person.tolist(),
        "kind": kind.tolist(),
        "direction": direction.tolist(),
        "occurred_at": occurred.tolist(),
        "subject": [],
        "summary": [],
    }
    for i in range(m):
        options = phrases.INTERACTIONS[kind[i]][people.language[person[i]]]
        subject, summary = options[pick[i] % len(options)]
        interactions["subject"].append(subject)
        interactions["summary"].append(phrases.agree(summary, female=bool(female[i])))

    has_detail = np.flatnonzero(rng.random(m) < 0.35)
    dkind = DETAIL_KINDS[rng.choice(len(DETAIL_KINDS), len(has_detail), p=DETAIL_P)]
    ahead = rng.integers(1, 9, len(has_detail))
    details: dict[str, list] = {
        k: []
        for k in ("interaction", "person", "kind", "text", "relevant_on", "pinned", "archived")
    }
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    said_before: set[tuple[int, str]] = set()
    for j, i in enumerate(has_detail):
        lang = people.language[person[i]]
        options = phrases.DETAILS[dkind[j]][lang]
        text = phrases.agree(options[pick[i] % len(options)], female=bool(female[i]))
        relevant_on = None
        if "{month}" in text:
            said = datetime.fromtimestamp(int(occurred[i]), zone).date()
            month_index = said.month - 1 + int(ahead[j])
            relevant_on = date(
                said.year + month_index // 12, month_index % 12 + 1, 1 + int(pick[i]) % 28
            )
            text = text.replace("{month}", phrases.MONTHS[lang][relevant_on.month - 1])
        if (person[i], text) in said_before:  # a customer says the same thing once
            continue
        said_before.add((person[i], text))
        past = relevant_on is not None and relevant_on < today
        details["interaction"].append(int(i))
        details["person"].append(int(person[i]))
        details["kind"].append(str(dkind[j]))
        details["text"].append(text)
        details["relevant_on"].append(relevant_on)
        details["pinned"].append(bool(pick[i] % 10 == 0))
        details["archived"].append(bool(past and pick[i] % 2 == 0) or pick[i] % 20 == 1)
    return Log(interactions=interactions, details=details)
