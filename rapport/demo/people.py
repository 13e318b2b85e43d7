"""Demo customers, drawn column-wise with numpy from Faker's per-locale name and place lists.

`draw_people` returns plain columns (no database): the demo writes them with bulk_create, the
benchmark with COPY. Everything is a function of the seed, the chunk and the ordinal offset.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import phonenumbers
from faker import Faker

from rapport.core.names import fold
from rapport.demo import phrases

LOCALES = ("zh_CN", "zh_TW", "sk_SK", "en_US", "en_GB")
LOCALE_SHARES = np.array([0.45, 0.15, 0.20, 0.10, 0.10])
LANGUAGE = {"zh_CN": "zh-hans", "zh_TW": "zh-hant", "sk_SK": "sk", "en_US": "en", "en_GB": "en"}
COUNTRY = {"zh_CN": "CN", "zh_TW": "TW", "sk_SK": "SK", "en_US": "US", "en_GB": "GB"}

# Mobile numbers: country code, national prefixes, digits after the prefix (all checked valid).
MOBILE = {
    "zh_CN": (
        "+86",
        [
            f"1{d}"
            for d in (
                *range(30, 40),
                50,
                51,
                52,
                53,
                55,
                56,
                57,
                58,
                59,
                66,
                76,
                77,
                78,
                *range(80, 90),
                98,
                99,
            )
        ],
        8,
    ),
    "zh_TW": ("+886", [f"9{d:02d}" for d in range(0, 90)], 6),
    "sk_SK": (
        "+421",
        [
            "901",
            "902",
            "903",
            "904",
            "905",
            "906",
            "907",
            "908",
            "910",
            "911",
            "912",
            "914",
            "915",
            "916",
            "917",
            "918",
            "919",
            "940",
            "944",
            "945",
            "948",
            "949",
            "950",
            "951",
        ],
        6,
    ),
    "en_US": (
        "+1",
        [
            f"{area}{d}"
            for area in (212, 213, 312, 415, 503, 512, 617, 646, 702, 718, 773, 805, 917, 206, 404)
            for d in (2, 3, 4, 6, 7, 8, 9)
        ],
        6,
    ),
    "en_GB": (
        "+44",
        ["71", "72", "73", "74", "75", "77", "78", "79"],
        8,
    ),  # 70 and 76 are not mobiles
}

EMAIL_DOMAINS = {
    "zh_CN": ["163.com", "126.com", "sina.com", "foxmail.com", "139.com"],
    "zh_TW": ["gmail.com", "yahoo.com.tw", "hotmail.com", "msa.hinet.net"],
    "sk_SK": ["gmail.com", "azet.sk", "centrum.sk", "zoznam.sk", "post.sk"],
    "en_US": ["gmail.com", "outlook.com", "yahoo.com", "icloud.com"],
    "en_GB": ["gmail.com", "outlook.com", "btinternet.com", "hotmail.co.uk"],
}

# Faker's zh_CN cities are invented; these are real, with their province.
CN_CITIES = [
    ("北京市", "北京市"),
    ("上海市", "上海市"),
    ("广州市", "广东省"),
    ("深圳市", "广东省"),
    ("杭州市", "浙江省"),
    ("成都市", "四川省"),
    ("南京市", "江苏省"),
    ("武汉市", "湖北省"),
    ("西安市", "陕西省"),
    ("重庆市", "重庆市"),
    ("天津市", "天津市"),
    ("苏州市", "江苏省"),
    ("长沙市", "湖南省"),
    ("郑州市", "河南省"),
    ("青岛市", "山东省"),
    ("厦门市", "福建省"),
    ("宁波市", "浙江省"),
    ("合肥市", "安徽省"),
    ("昆明市", "云南省"),
    ("沈阳市", "辽宁省"),
    ("大连市", "辽宁省"),
    ("济南市", "山东省"),
    ("福州市", "福建省"),
    ("无锡市", "江苏省"),
    ("东莞市", "广东省"),
    ("佛山市", "广东省"),
    ("哈尔滨市", "黑龙江省"),
    ("南宁市", "广西壮族自治区"),
]

RETIRED = {"zh-hans": "退休", "zh-hant": "退休", "sk": "na dôchodku", "en": "Retired"}

GENDERS = np.array(["male", "female", "other", ""])
GENDER_P = [0.485, 0.485, 0.01, 0.02]
INCOME = np.array(["", "low", "lower_middle", "middle", "upper_middle", "high"])
INCOME_P = [0.15, 0.12, 0.2, 0.27, 0.16, 0.10]
SOURCES = np.array(["walk_in", "website", "social", "event", "advertising", "sales", "other"])
SOURCE_P = np.array([0.28, 0.22, 0.17, 0.09, 0.12, 0.07, 0.05])
REFERRAL_SHARE = 0.12
CHANNEL = {  # preferred channel by locale
    "zh_CN": (["wechat", "phone", "sms", "email", "visit"], [0.5, 0.2, 0.15, 0.1, 0.05]),
    "zh_TW": (["phone", "sms", "email", "visit", "post"], [0.35, 0.2, 0.3, 0.1, 0.05]),
    "sk_SK": (["email", "phone", "sms", "post", "visit"], [0.45, 0.35, 0.1, 0.05, 0.05]),
    "en_US": (["email", "phone", "sms", "post", "visit"], [0.55, 0.25, 0.1, 0.05, 0.05]),
    "en_GB": (["email", "phone", "sms", "post", "visit"], [0.55, 0.25, 0.1, 0.05, 0.05]),
}
LUNAR_SHARE = {"zh_CN": 0.35, "zh_TW": 0.25, "sk_SK": 0.0, "en_US": 0.01, "en_GB": 0.0}
CONSENT_METHODS = np.array(["web_form", "paper", "phone", "in_person", "email", "portal"])
CONSENT_METHOD_P = [0.35, 0.15, 0.15, 0.2, 0.1, 0.05]


@dataclass(frozen=True)
class LocalePool:
    """What a locale's customers are drawn from (weights as probabilities)."""

    family: dict[str, tuple[list[str], np.ndarray]]  # by gender "male"/"female"
    given: dict[str, tuple[list[str], np.ndarray]]
    given_chars: dict[str, tuple[list[str], np.ndarray]]  # CJK only: characters to compose names
    romanized: list[str]
    streets: list[str]
    cities: list[tuple[str, str]]  # (city, region)
    districts: list[str]
    postcodes: list[str]
    jobs: list[str]
    companies: list[str]


def _weighted(values) -> tuple[list[str], np.ndarray]:
    if isinstance(values, dict):
        names, weights = list(values), np.array(list(values.values()), dtype=float)
    else:
        names, weights = list(values), np.ones(len(values))
    return names, weights / weights.sum()


def _chars(names: list[str], p: np.ndarray) -> tuple[list[str], np.ndarray]:
    weights: dict[str, float] = {}
    for name, w in zip(names, p, strict=True):
        for ch in name:
            weights[ch] = weights.get(ch, 0.0) + w
    return _weighted(weights)


@cache
def locale_pool(locale: str, seed: int) -> LocalePool:
    fake = Faker(locale)
    fake.seed_instance(seed)
    person = fake.provider("faker.providers.person")
    family = {
        g: _weighted(getattr(person, f"last_names_{g}", None) or person.last_names)
        for g in ("male", "female")
    }
    given = {g: _weighted(getattr(person, f"first_names_{g}")) for g in ("male", "female")}
    cjk = locale.startswith("zh")
    given_chars = {g: _chars(*given[g]) for g in given} if cjk else {}
    romanized = sorted(
        {
            n.lower()
            for n in [
                *getattr(person, "last_romanized_names", []),
                *getattr(person, "first_romanized_names", []),
            ]
        }
    )
    if locale == "zh_CN":
        cities = CN_CITIES
    elif locale == "en_US":
        cities = [(fake.city(), fake.state_abbr(include_territories=False)) for _ in range(150)]
    elif locale == "en_GB":
        cities = [(fake.city(), fake.county()) for _ in range(150)]
    elif locale == "sk_SK":
        cities = [(fake.city(), fake.state()) for _ in range(300)]
    else:
        cities = [(fake.city(), "") for _ in range(150)]
    job = fake.provider("faker.providers.job")
    return LocalePool(
        family=family,
        given=given,
        given_chars=given_chars,
        romanized=romanized,
        streets=sorted({fake.street_name() for _ in range(400)}),
        cities=sorted(set(cities)),
        districts=sorted({fake.district() for _ in range(80)}) if locale == "zh_CN" else [],
        postcodes=[fake.postcode() for _ in range(500)],
        jobs=list(job.jobs),
        companies=sorted({fake.company() for _ in range(400)}),
    )


@dataclass
class People:
    """Columns, one entry per person; child rows refer to people by their index in the chunk."""

    locale: np.ndarray  # index into LOCALES
    language: list[str]  # the language staff speak with them (phrases key)
    customers: dict[str, list]  # Customer field attnames -> values (no id, names not yet applied)
    phones: dict[str, list] = field(default_factory=dict)  # person, number, kind, is_primary
    emails: dict[str, list] = field(default_factory=dict)  # person, address, is_primary
    addresses: dict[str, list] = field(default_factory=dict)  # person, kind, line1, city, ...
    consents: dict[str, list] = field(
        default_factory=dict
    )  # person, channel, granted, changed_at, method
    referrer: np.ndarray | None = None  # global ordinal of the referrer, -1 if none
    acquired_day: np.ndarray | None = (
        None  # day of the window (0 = first day) they became customers
    )

    def __len__(self) -> int:
        return len(self.locale)


def _bijection(ordinals: np.ndarray, space: int, salt: int) -> np.ndarray:
    """Distinct ordinals map to distinct numbers below `space`: unique phones and mailboxes."""
    mult = 2_654_435_761
    while np.gcd(mult, space) != 1:
        mult += 2
    return (ordinals.astype(object) * mult + salt) % space


@cache
def _mobile_pattern(locale: str) -> re.Pattern[str]:
    """libphonenumber's pattern for the region's mobile numbers: checks a number in a microsecond."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(COUNTRY[locale])
    return re.compile(metadata.mobile.national_number_pattern)


def mobile_numbers(locale: str, ordinals: np.ndarray, salt: int) -> list[str]:
    """Valid E.164 mobile numbers for `locale`, distinct for distinct ordinals.

    Callers keep ordinals apart: 3i for a person's phone, 3i + 1 for their second, 3k + 2 for
    organisation k.
    """
    code, prefixes, digits = MOBILE[locale]
    pattern = _mobile_pattern(locale)
    space = len(prefixes) * 10**digits
    out = []
    for ordinal, v in zip(ordinals, _bijection(ordinals, space, salt), strict=True):
        for attempt in range(1, 50):  # a few sub-ranges are not in service: draw again
            prefix, rest = divmod(int(v), 10**digits)
            national = f"{prefixes[prefix]}{rest:0{digits}d}"
            if pattern.fullmatch(national):
                break
            v = _bijection(np.array([ordinal]), space, salt + attempt)[0]
        out.append(code + national)
    return out


def check_phone(e164: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))


def _cjk_given(rng: np.random.Generator, pool: LocalePool, gender: str, n: int) -> list[str]:
    """Chinese given names: mostly two characters composed freely, some taken whole, a few single."""
    key = gender if gender in ("male", "female") else "female"
    names, p = pool.given[key]
    chars, cp = pool.given_chars[key]
    kind = rng.choice(3, n, p=[0.55, 0.33, 0.12])
    whole = rng.choice(len(names), n, p=p)
    c1, c2 = rng.choice(len(chars), n, p=cp), rng.choice(len(chars), n, p=cp)
    return [
        chars[a] + chars[b] if k == 0 else names[w] if k == 1 else chars[a]
        for k, w, a, b in zip(kind, whole, c1, c2, strict=True)
    ]


def _pick(options, u: float):
    return options[int(u * len(options))]


def _email_local(locale: str, family: str, given: str, u: np.ndarray, pool: LocalePool) -> str:
    """A mailbox name as people choose them; `u` is four uniform numbers."""
    digits = int(u[3] * 98) + 1
    if locale.startswith("zh") and pool.romanized:
        return f"{_pick(pool.romanized, u[1])}{_pick(pool.romanized, u[2])}{digits}"
    g, f = (re.sub(r"[^a-z0-9]", "", fold(x)) for x in (given, family))
    style = int(u[0] * 4)
    if style == 0:
        return f"{g}.{f}"
    if style == 1:
        return f"{g}{f}{digits}"
    if style == 2:
        return f"{g[:1]}{f}"
    return f"{g}.{f}{60 + digits % 40}"


def local_midnights(start: date, days: int, tz: str) -> np.ndarray:
    """Unix time of local midnight of each day from `start` (one extra day at the end)."""
    zone = ZoneInfo(tz)
    return np.array(
        [
            int(datetime.combine(start + timedelta(days=d), dtime(), zone).timestamp())
            for d in range(days + 1)
        ],
        dtype=np.int64,
    )


def draw_people(
    n: int,
    *,
    seed: int,
    chunk: int = 0,
    ordinal_offset: int = 0,
    start: date,
    end: date,
    tz: str = "UTC",
) -> People:
    """`n` customers acquired between `start` and `end` (dates), in acquisition order.

    `ordinal_offset` numbers them globally (referrers are earlier ordinals; phones and mailboxes
    are unique across chunks). Times are Unix seconds; dates are `date` objects.
    """
    rng = np.random.default_rng([seed, chunk, 1])
    days = (end - start).days + 1
    ordinals = np.arange(ordinal_offset, ordinal_offset + n)
    locale = rng.choice(len(LOCALES), n, p=LOCALE_SHARES)
    gender = GENDERS[rng.choice(len(GENDERS), n, p=GENDER_P)]
    # More customers join later (the business grows); sorted so that index order is time order.
    acquired = np.sort(np.floor(days * rng.random(n) ** 0.8).astype(np.int64))
    family, given = _names(rng, locale, gender, seed)

    lang_of_locale = np.array([LANGUAGE[loc] for loc in LOCALES])[locale]
    preferred = lang_of_locale.copy()
    switch = rng.random(n)
    preferred[(lang_of_locale == "sk") & (switch < 0.06)] = "en"
    preferred[(lang_of_locale == "zh-hant") & (switch < 0.05)] = "zh-hans"
    preferred[switch > 0.97] = ""
    language = np.where(preferred == "", lang_of_locale, preferred).tolist()

    age = np.clip(rng.normal(43, 14, n), 18, 88)
    born = np.datetime64(end, "D") - np.floor(age * 365.25).astype("timedelta64[D]")
    birthday = [None if u < 0.04 else b for u, b in zip(rng.random(n), born.tolist(), strict=True)]
    lunar_p = np.array([LUNAR_SHARE[loc] for loc in LOCALES])[locale]
    lunar = (rng.random(n) < lunar_p) & np.array([b is not None for b in birthday])

    occupations, hobbies, personality, family_sit = [], [], [], []
    u = rng.random((n, 8))
    female = gender == "female"
    for i in range(n):
        lang, ui = language[i], u[i]
        if age[i] >= 63 and ui[0] < 0.8:
            occupations.append(RETIRED[lang])
        elif ui[0] < 0.9:
            occupations.append(_pick(locale_pool(LOCALES[locale[i]], seed).jobs, ui[1])[:120])
        else:
            occupations.append("")
        if ui[2] < 0.7:
            options = phrases.HOBBIES[lang]
            picks = dict.fromkeys(_pick(options, x) for x in ui[3 : 3 + 1 + int(ui[2] * 4.2)])
            hobbies.append(("、" if lang.startswith("zh") else ", ").join(picks))
        else:
            hobbies.append("")
        personality.append(
            phrases.agree(_pick(phrases.PERSONALITY[lang], ui[6]), female=female[i])
            if ui[5] < 0.4
            else ""
        )
        family_sit.append(
            phrases.agree(_pick(phrases.FAMILY[lang], ui[7]), female=female[i])
            if ui[5] > 0.5
            else ""
        )

    preferred_channel = np.empty(n, dtype=object)
    for li, loc in enumerate(LOCALES):
        names, p = CHANNEL[loc]
        idx = np.flatnonzero(locale == li)
        preferred_channel[idx] = np.array(names, dtype=object)[
            rng.choice(len(names), len(idx), p=p)
        ]
    preferred_channel[rng.random(n) < 0.05] = ""

    # Referrals: an earlier customer referred them (global ordinal), when there is one.
    source = SOURCES[rng.choice(len(SOURCES), n, p=SOURCE_P / SOURCE_P.sum())]
    referred = (rng.random(n) < REFERRAL_SHARE) & (ordinals > 0)
    referrer = np.where(
        referred, np.floor(rng.random(n) * np.maximum(ordinals, 1)).astype(np.int64), -1
    )
    source[referred] = "referral"

    customers = {
        "family_name": family,
        "given_name": given,
        "gender": gender.tolist(),
        "birthday": birthday,
        "celebrates_lunar_birthday": lunar.tolist(),
        "hobbies": hobbies,
        "personality": personality,
        "family_situation": family_sit,
        "occupation": occupations,
        "income_band": INCOME[rng.choice(len(INCOME), n, p=INCOME_P)].tolist(),
        "preferred_language": preferred.tolist(),
        "preferred_channel": preferred_channel.tolist(),
        "customer_since": (np.datetime64(start, "D") + acquired.astype("timedelta64[D]")).tolist(),
        "source": source.tolist(),
        "notes": [""] * n,
        "primary_phone": [""] * n,
        "primary_email": [""] * n,
    }
    people = People(
        locale=locale,
        language=language,
        customers=customers,
        referrer=referrer,
        acquired_day=acquired,
    )
    _contacts(people, rng, seed=seed, ordinals=ordinals)
    _addresses(people, rng, seed=seed)
    _consents(people, rng, midnights=local_midnights(start, days, tz), now=end_of(end, tz))
    return people


def end_of(day: date, tz: str) -> int:
    """Unix time of the last second of `day` in `tz`."""
    return int(datetime.combine(day, dtime(23, 59, 59), ZoneInfo(tz)).timestamp())


def _names(rng: np.random.Generator, locale: np.ndarray, gender: np.ndarray, seed: int):
    n = len(locale)
    family, given = [""] * n, [""] * n
    for li, loc in enumerate(LOCALES):
        pool = locale_pool(loc, seed)
        for g in ("male", "female", "other", ""):
            idx = np.flatnonzero((locale == li) & (gender == g))
            if not len(idx):
                continue
            name_g = g if g in ("male", "female") else ("male", "female")[int(rng.integers(2))]
            fam_names, fam_p = pool.family[name_g]
            fams = rng.choice(len(fam_names), len(idx), p=fam_p)
            if loc.startswith("zh"):
                givens = _cjk_given(rng, pool, name_g, len(idx))
            else:
                gn, gp = pool.given[name_g]
                givens = [gn[k] for k in rng.choice(len(gn), len(idx), p=gp)]
            for j, i in enumerate(idx):
                family[i], given[i] = fam_names[fams[j]], givens[j]
    return family, given


def _contacts(people: People, rng: np.random.Generator, *, seed: int, ordinals: np.ndarray) -> None:
    n = len(people)
    c = people.customers
    has_phone = rng.random(n) >= 0.03
    has_second = has_phone & (rng.random(n) < 0.12)
    phones: dict[str, list] = {"person": [], "number": [], "kind": [], "is_primary": []}
    for li, loc in enumerate(LOCALES):
        salt = seed * 7919 + li
        for wanted, offset, kind in ((has_phone, 0, "mobile"), (has_second, 1, "work")):
            idx = np.flatnonzero((people.locale == li) & wanted)
            numbers = mobile_numbers(loc, 3 * ordinals[idx] + offset, salt)
            phones["person"].extend(idx.tolist())
            phones["number"].extend(numbers)
            phones["kind"].extend([kind] * len(idx))
            phones["is_primary"].extend([offset == 0] * len(idx))
            if offset == 0:
                for i, number in zip(idx, numbers, strict=True):
                    c["primary_phone"][i] = number
    people.phones = phones

    emails: dict[str, list] = {"person": [], "address": [], "is_primary": []}
    has_email = rng.random(n) < np.where(people.locale == 0, 0.7, 0.88)
    qq = rng.random(n) < 0.5
    u = rng.random((n, 5))
    qq_numbers = _bijection(ordinals, 9 * 10**8, seed)
    taken: set[str] = set()
    for i in np.flatnonzero(has_email):
        loc = LOCALES[people.locale[i]]
        if loc == "zh_CN" and qq[i]:
            address = f"{int(qq_numbers[i]) + 10**8}@qq.com"
        else:
            local = _email_local(
                loc, c["family_name"][i], c["given_name"][i], u[i], locale_pool(loc, seed)
            )
            domain = _pick(EMAIL_DOMAINS[loc], u[i, 4])
            address = f"{local}@{domain}"
            if address in taken:  # a namesake has it already: the ordinal makes it unique
                address = f"{local}.{ordinals[i]}@{domain}"
        taken.add(address)
        emails["person"].append(int(i))
        emails["address"].append(address)
        emails["is_primary"].append(True)
        c["primary_email"][i] = address
    people.emails = emails


def _addresses(people: People, rng: np.random.Generator, *, seed: int) -> None:
    n = len(people)
    out: dict[str, list] = {
        k: []
        for k in ("person", "kind", "line1", "line2", "city", "region", "postal_code", "country")
    }
    has = np.flatnonzero(rng.random(n) < 0.85)
    num = rng.integers(1, 400, n)
    flat = rng.integers(1, 30, n)
    u = rng.random((n, 4))
    for i in has:
        loc = LOCALES[people.locale[i]]
        pool = locale_pool(loc, seed)
        street = _pick(pool.streets, u[i, 0])
        city, region = _pick(pool.cities, u[i, 1])
        line2 = ""
        if loc == "zh_CN":
            district = _pick(pool.districts, u[i, 3])
            line1 = f"{district}区{street}{num[i]}号{flat[i] % 12 + 1}栋{flat[i] * 100 + num[i] % 4 + 1}室"
        elif loc == "zh_TW":
            line1 = f"{street}{num[i]}號{flat[i] % 15 + 1}樓"
        elif loc == "sk_SK":
            line1 = f"{street} {num[i]}"
        else:
            line1 = f"{num[i]} {street}"
            line2 = f"Apt {flat[i]}" if loc == "en_US" and flat[i] < 8 else ""
        out["line1"].append(line1)
        out["line2"].append(line2)
        out["city"].append(city)
        out["region"].append(region)
        out["postal_code"].append(_pick(pool.postcodes, u[i, 2]))
        out["country"].append(COUNTRY[loc])
    out["person"] = has.tolist()
    out["kind"] = ["home"] * len(has)
    people.addresses = out


def _consents(people: People, rng: np.random.Generator, *, midnights: np.ndarray, now: int) -> None:
    """Yes or no to marketing per channel, given in the weeks after they became customers."""
    out: dict[str, list] = {k: [] for k in ("person", "channel", "granted", "changed_at", "method")}
    c = people.customers
    n = len(people)
    has_email = np.array([bool(e) for e in c["primary_email"]])
    has_phone = np.array([bool(p) for p in c["primary_phone"]])
    for channel, share, reachable in (
        ("email", 0.7, has_email),
        ("sms", 0.6, has_phone),
        ("wechat", 0.75, has_phone & (people.locale == 0)),
        ("post", 0.2, np.ones(n, bool)),
    ):
        asked = np.flatnonzero((rng.random(n) < share) & reachable)
        day = np.minimum(
            people.acquired_day[asked] + rng.integers(0, 40, len(asked)), len(midnights) - 1
        )
        at = np.minimum(midnights[day] + rng.integers(9 * 3600, 21 * 3600, len(asked)), now - 3600)
        out["person"].extend(asked.tolist())
        out["channel"].extend([channel] * len(asked))
        out["granted"].extend((rng.random(len(asked)) < 0.78).tolist())
        out["changed_at"].extend(at.tolist())
        out["method"].extend(
            CONSENT_METHODS[
                rng.choice(len(CONSENT_METHODS), len(asked), p=CONSENT_METHOD_P)
            ].tolist()
        )
    people.consents = out
