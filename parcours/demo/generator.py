"""Vectorised generator of the demo territory, one chunk of people at a time.

The demo is a data load, not a sequence of user actions. For speed (one million people in
minutes), it does not call the action functions of ``parcours.cases.actions`` and
``parcours.cases.actions``: it computes, with numpy, the rows those actions would have written
if counselors had done the work over the last 24 months — people, status history, consents,
episodes with their referent history, stage transitions that follow ``TRANSITIONS``, contacts,
appointments (held, missed, cancelled, planned), follow-up members backed by consent, and one
CaseEvent per change with the same kinds and data as the actions — and returns them as one
DataFrame per table. ``parcours.demo.loader`` writes them (COPY on PostgreSQL, executemany on
SQLite).

Everything is drawn from ``numpy.random.Generator`` seeded with ``[seed, chunk_index]``: the
same seed and the same day give the same territory. Times are handled as integer seconds of
local (Europe/Paris) wall time and converted to UTC at the end; counselors work between 8:00
and 18:00, so daylight-saving changes never fall inside a generated time.

The rates below are plausible orders of magnitude for the Nord département, chosen to make the
demo look like a real caseload; they are not official statistics (see docs/demo.md).
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parcours.demo import reference as ref

DAY = 86_400

# --- People ----------------------------------------------------------------------------------
STATUSES = ["job_seeker", "employed", "student", "inactive", "self_employed"]
# Status at intake: most people supported are registered job seekers; employed people come for a
# career change or to keep their job (R4: support regardless of status).
STATUS_SHARES = [0.75, 0.10, 0.05, 0.06, 0.04]
# Age at the first episode, per status: (youngest, oldest, share). 16–25 year-olds are the
# Mission locale's public.
AGE_BANDS = {
    "job_seeker": [(16, 25, 0.18), (26, 49, 0.56), (50, 64, 0.26)],
    "employed": [(20, 25, 0.10), (26, 49, 0.65), (50, 62, 0.25)],
    "student": [(16, 25, 0.85), (26, 35, 0.15)],
    "inactive": [(18, 25, 0.15), (26, 49, 0.55), (50, 64, 0.30)],
    "self_employed": [(22, 25, 0.05), (26, 49, 0.65), (50, 64, 0.30)],
}
SEXES = ["F", "M", "X"]
SEX_SHARES = [0.495, 0.500, 0.005]
# Minimum income (RSA, 25 and over): about one job seeker in five in the Nord.
MINIMUM_INCOME_RATE = {"job_seeker": 0.22, "inactive": 0.45}
MINIMUM_INCOME_MIN_AGE = 25
# Recognised disabled workers (RQTH): about 8 % of job seekers.
DISABILITY_RATE = {"job_seeker": 0.085}
DISABILITY_RATE_OTHERS = 0.04
# Digital autonomy (autonomous, partial, none, unknown) by age group (<26, 26–49, 50+):
# about 15 % need help with online tools overall (digital illiteracy, R2).
AUTONOMY = ["autonomous", "partial", "none", "unknown"]
AUTONOMY_BY_AGE = [(0.70, 0.19, 0.08, 0.03), (0.60, 0.25, 0.12, 0.03), (0.42, 0.30, 0.25, 0.03)]
# Preferred channels, consistent with digital autonomy: (channels, share) per autonomy level.
PREFERRED_CHANNELS = {
    "autonomous": [
        (["email", "phone"], 0.30),
        (["email", "video"], 0.20),
        (["instant_messaging", "phone"], 0.20),
        (["email", "sms", "in_person"], 0.15),
        (["phone"], 0.15),
    ],
    "partial": [(["phone", "sms"], 0.40), (["in_person", "phone"], 0.40), (["sms", "in_person"], 0.20)],
    "none": [(["in_person"], 0.55), (["in_person", "phone"], 0.45)],
    "unknown": [([], 1.0)],
}
# Channel of each contact after the first (always in person), by digital autonomy (R8).
CONTACT_CHANNELS = ["in_person", "phone", "email", "sms", "instant_messaging", "video", "workshop"]
CONTACT_CHANNEL_MIX = {
    "autonomous": [0.20, 0.25, 0.25, 0.03, 0.10, 0.12, 0.05],
    "partial": [0.35, 0.35, 0.08, 0.10, 0.02, 0.05, 0.05],
    "none": [0.55, 0.38, 0.00, 0.04, 0.00, 0.00, 0.03],
    "unknown": [0.40, 0.35, 0.10, 0.05, 0.02, 0.04, 0.04],
}
EMAIL_RATE = {"autonomous": 0.95, "partial": 0.70, "none": 0.30, "unknown": 0.60}
PHONE_RATE = 0.95

# --- Episodes --------------------------------------------------------------------------------
HISTORY_DAYS = 730  # up to 24 months of history
# Share of first episodes started within the last 12 months (the stock of people in support is
# younger than the history window).
RECENT_START_SHARE = 0.60
# People whose first episode ended long enough ago may start a second one, often elsewhere.
SECOND_EPISODE_RATE = 0.35
SECOND_EPISODE_GAP_DAYS = (7, 150)
INTENSITIES = ["follow", "guided", "intensive", "global"]
# Intensity mix per organisation kind; "pes_needs" applies to France Travail for people with
# minimum income, a recognised disability or no digital autonomy (more intensive support).
INTENSITY_MIX = {
    "pes": (0.28, 0.45, 0.20, 0.07),
    "pes_needs": (0.08, 0.35, 0.32, 0.25),
    "youth_mission": (0.00, 0.30, 0.60, 0.10),
    "disability_operator": (0.05, 0.45, 0.40, 0.10),
    "association": (0.00, 0.10, 0.30, 0.60),
    "private_provider": (0.00, 0.30, 0.70, 0.00),
    "training_body": (0.00, 1.00, 0.00, 0.00),
    "local_authority": (0.00, 0.25, 0.15, 0.60),
}
APPROACHES = ["sequential", "global", "iterative"]
APPROACH_MIX_GLOBAL_INTENSITY = (0.00, 0.80, 0.20)
APPROACH_MIX_OTHERS = (0.85, 0.05, 0.10)
# Planned length of an episode (log-normal, median days per intensity, capped).
DURATION_MEDIAN_DAYS = {"follow": 240, "guided": 210, "intensive": 160, "global": 300}
DURATION_SIGMA = 0.5
DURATION_BOUNDS = (21, 900)
# Coded end reasons by intensity. Exits to employment (durable + short + business creation) fall
# from about 52 % for the most autonomous ("suivi") to about 25 % for "global" support.
END_REASONS = [
    "employed_durable",
    "employed_short",
    "self_employed",
    "training",
    "transferred",
    "moved",
    "no_contact",
    "person_decision",
    "retirement",
    "sanction",
    "other",
]
END_REASON_MIX = {
    "follow": (0.30, 0.18, 0.04, 0.10, 0.05, 0.04, 0.15, 0.06, 0.03, 0.02, 0.03),
    "guided": (0.26, 0.17, 0.03, 0.12, 0.06, 0.04, 0.16, 0.06, 0.04, 0.02, 0.04),
    "intensive": (0.22, 0.16, 0.02, 0.15, 0.07, 0.04, 0.17, 0.06, 0.04, 0.03, 0.04),
    "global": (0.12, 0.12, 0.01, 0.15, 0.14, 0.05, 0.19, 0.07, 0.06, 0.03, 0.06),
}
# ~8 % of episodes change referent once (departure, caseload balancing, the person's request).
HANDOVER_RATE = 0.08
HANDOVER_REASONS = [
    "Départ du conseiller·ère",
    "Rééquilibrage des portefeuilles",
    "Changement de site",
    "Demande de la personne",
]

# --- Stages ----------------------------------------------------------------------------------
STAGES = ["welcome", "assessment", "career_project", "job_search", "employed", "retention", "closed"]
W, A, CP, JS, EMP, RET, CLOSED = range(7)
# Mean relative time spent in each stage (days), used to place the transitions in an episode.
STAGE_MEAN_DAYS = np.array([10, 30, 60, 120, 60, 90, 0], dtype=float)
# Paths through the stage machine; every consecutive pair is allowed by TRANSITIONS.
EMPLOYMENT_PATHS = [
    ([W, A, JS, EMP, RET], 0.40),
    ([W, A, CP, JS, EMP, RET], 0.30),
    ([W, A, JS, CP, JS, EMP], 0.15),
    ([W, A, JS, EMP, JS, EMP], 0.15),  # a job lost during the trial period, then another
]
SELF_EMPLOYMENT_PATHS = [([W, A, CP], 1.0)]
OTHER_PATHS = [
    ([W, A], 0.15),
    ([W, A, JS], 0.25),
    ([W, A, CP], 0.20),
    ([W, A, CP, A, CP, JS], 0.10),  # a project revised after a new assessment
    ([W, A, CP, JS], 0.20),
    ([W, A, JS, CP, JS], 0.10),
]

# --- Contacts and appointments ---------------------------------------------------------------
# Gap between contacts = intensity target (settings.PARCOURS_CONTACT_TARGET_DAYS) × a log-normal
# factor: median 0.75 (counselors usually keep ahead of the target), sometimes late.
CONTACT_GAP_MEDIAN = 0.75
CONTACT_GAP_SIGMA = 0.45
CONTACT_GAP_BOUNDS = (0.25, 3.0)
INBOUND_SHARE = 0.25
SENSITIVE_CONTACT_SHARE = 0.03  # contacts written in the health section
# Open episodes where contact has lapsed (no contact for 1.2–3 × the target): alerts.
LAPSED_OPEN_SHARE = 0.10
# Share of outbound contacts on these channels that were booked appointments.
APPOINTMENT_SHARE = {"in_person": 0.85, "video": 0.90, "phone": 0.35}
# For every held appointment, the chance that an earlier booking failed: missed ≈ 12 % and
# cancelled ≈ 8 % of past appointments (0.15 / 1.25 and 0.10 / 1.25).
MISSED_PER_HELD = 0.15
CANCELLED_PER_HELD = 0.10
CANCELLED_BY_PERSON_SHARE = 0.60
UPCOMING_APPOINTMENT_SHARE = 0.55  # open, non-lapsed episodes with a booked next appointment
DURATION_BY_CHANNEL = {
    "in_person": (30, 45, 60),
    "phone": (10, 15, 20, 30),
    "video": (30, 45),
    "workshop": (120, 180),
}

# --- Follow-up and consent -------------------------------------------------------------------
FOLLOW_UP_RATES = {"departement": 0.45, "cap_emploi": 0.30, "mission_locale": 0.25, "training": 0.05}
FOLLOW_UP_ROLES = {
    ref.DEPARTEMENT: "Travailleur·se social·e, référent·e RSA",
    ref.CAP_EMPLOI: "Conseiller·ère Cap emploi",
    ref.MISSION_LOCALE: "Conseiller·ère Mission locale",
    ref.TRAINING: "Formateur·rice référent·e",
}
SENSITIVE_ACCESS_SHARE = 0.15
CONTACT_CONSENT_RATE = 0.70
REFERRAL_CONSENT_RATE = 0.25
CONSENT_WITHDRAWN_RATE = 0.03

CONTACT_SUMMARIES = [
    "Point sur les démarches de recherche d'emploi.",
    "Relance sur les candidatures en cours.",
    "Échange sur le projet professionnel.",
    "Préparation d'un entretien d'embauche.",
    "Mise à jour du CV et de la lettre de motivation.",
    "Point sur la formation envisagée.",
    "Proposition d'une offre d'emploi correspondant au profil.",
    "Point sur les freins à l'emploi (mobilité, garde d'enfants).",
    "Entretien de suivi.",
    "Réponse à une question sur l'inscription et les droits.",
]
FIRST_CONTACT_SUMMARY = "Entretien d'accueil et présentation de l'accompagnement."
SENSITIVE_SUMMARY = "Point santé (détails réservés à la rubrique santé)."
APPOINTMENT_PURPOSES = [
    "Entretien de suivi",
    "Point sur le projet professionnel",
    "Préparation à l'entretien d'embauche",
    "Atelier CV",
    "Point sur les candidatures",
]


@dataclass
class Territory:
    """Database ids of the reference data, and the staff who do the work."""

    today: datetime.date
    org_ids: np.ndarray  # per organisation index
    commune_ids: np.ndarray  # per commune index
    sites: list[np.ndarray]  # site ids per organisation
    site_communes: list[np.ndarray]  # commune index of each site
    counselors: list[np.ndarray]  # user ids per organisation, demo counselor first
    counselor_weights: list[np.ndarray]  # referent draw probabilities
    managers: np.ndarray  # one manager user id per organisation (hands episodes over)
    target_days: dict[str, int] = field(default_factory=dict)

    @property
    def today_day(self) -> int:
        return (self.today - datetime.date(1970, 1, 1)).days


class Ids:
    """Pre-assigned sequential ids per table (the loader resets the sequences afterwards)."""

    def __init__(self, start: dict[str, int]):
        self.next = dict(start)

    def take(self, table: str, count: int) -> np.ndarray:
        first = self.next[table]
        self.next[table] = first + count
        return np.arange(first, first + count, dtype=np.int64)


# --- Small vectorised helpers ----------------------------------------------------------------
def _choice(rng, probs, size) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _choice_rows(rng, prob_rows: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix."""
    cdf = np.cumsum(prob_rows, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(prob_rows))
    return np.minimum((u[:, None] > cdf).sum(axis=1), prob_rows.shape[1] - 1)


def _uniform_int(rng, low, high) -> np.ndarray:
    """Integers in [low, high] element-wise (high >= low)."""
    low = np.asarray(low)
    high = np.asarray(high)
    return low + np.floor(rng.random(np.broadcast(low, high).shape) * (high - low + 1)).astype(np.int64)


def _uuid_hex(rng, n: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return [row.tobytes().hex() for row in raw]


def _pick(values, idx) -> np.ndarray:
    return np.asarray(values, dtype=object)[idx]


def _business_seconds(rng, n: int, start_hour: float = 8.0, end_hour: float = 18.0) -> np.ndarray:
    return (start_hour * 3600 + rng.random(n) * (end_hour - start_hour) * 3600).astype(np.int64)


def _slot_seconds(rng, n: int) -> np.ndarray:
    """Appointment slots: every quarter of an hour from 8:30 to 17:00."""
    return 8 * 3600 + 1800 + 900 * rng.integers(0, 35, size=n).astype(np.int64)


class Clock:
    """Local (Europe/Paris) wall time in seconds ↔ UTC, by a per-day offset table."""

    def __init__(self, today: datetime.date):
        tz = zoneinfo.ZoneInfo("Europe/Paris")
        self.first_day = (today - datetime.date(1970, 1, 1)).days - 2 * HISTORY_DAYS - 400
        days = np.arange(self.first_day, self.first_day + 2 * HISTORY_DAYS + 500)
        self.offsets = np.array(
            [
                datetime.datetime.combine(
                    datetime.date(1970, 1, 1) + datetime.timedelta(days=int(d)), datetime.time(12), tz
                )
                .utcoffset()
                .total_seconds()
                for d in days
            ],
            dtype=np.int64,
        )

    def to_utc(self, local_seconds: np.ndarray) -> np.ndarray:
        # Out-of-range days only occur in masked values (e.g. the planned end of an open episode).
        index = np.clip(local_seconds // DAY - self.first_day, 0, len(self.offsets) - 1)
        return local_seconds - self.offsets[index]


def _dt(clock: Clock, local_seconds: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """UTC datetime64[s] column (NaT where mask is False)."""
    values = clock.to_utc(np.asarray(local_seconds, dtype=np.int64)).astype("datetime64[s]")
    if mask is not None:
        values = np.where(mask, values, np.datetime64("NaT", "s"))
    return values


def _date(days: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    text = np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]"))
    out = text.astype(object)
    if mask is not None:
        out[~mask] = None
    return out


def _nullable_int(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(mask, values, 0).astype(np.int64), ~np.asarray(mask, dtype=bool))


# --- Skeleton: people and their episodes (no staff needed) ------------------------------------
@dataclass
class Skeleton:
    n: int
    status: np.ndarray
    sex: np.ndarray
    age: np.ndarray  # years at first episode start
    commune: np.ndarray
    priority_area: np.ndarray
    minimum_income: np.ndarray
    disability: np.ndarray
    autonomy: np.ndarray
    birth_day: np.ndarray
    # episodes
    person: np.ndarray
    seq: np.ndarray
    org: np.ndarray
    intensity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    closed: np.ndarray
    reason: np.ndarray


def _route(rng, status, age, commune, minimum_income, disability) -> np.ndarray:
    """Which organisation supports the person (the routing of the territory's partnership)."""
    n = len(status)
    u = rng.random(n)
    pes = np.asarray(ref.PES_BY_COMMUNE)[commune]
    in_62 = np.isin(commune, [ref.COMMUNE_INDEX["Lens"], ref.COMMUNE_INDEX["Liévin"]])
    employed = status == STATUSES.index("employed")
    conditions = [
        age <= 25,
        disability,
        minimum_income & ~in_62,
        minimum_income & in_62,
        employed,
        in_62,
    ]
    choices = [
        np.where(u < 0.65, ref.MISSION_LOCALE, pes),
        np.where(u < 0.60, ref.CAP_EMPLOI, pes),
        np.where(u < 0.35, ref.DEPARTEMENT, pes),
        np.where(u < 0.50, ref.ASSOCIATION, pes),
        np.where(u < 0.60, ref.PRIVATE, pes),
        np.where(u < 0.10, ref.ASSOCIATION, np.where(u < 0.18, ref.PRIVATE, pes)),
    ]
    return np.select(conditions, choices, default=np.where(u < 0.10, ref.PRIVATE, pes))


def _episode_plan(rng, org, needs, start, today_day):
    n = len(org)
    kinds = np.asarray([o.kind for o in ref.ORGANISATIONS])[org]
    rows = np.array([INTENSITY_MIX[k] for k in kinds]) if n else np.zeros((0, 4))
    needs_pes = (kinds == "pes") & needs
    if n:
        rows[needs_pes] = INTENSITY_MIX["pes_needs"]
    intensity = _choice_rows(rng, rows) if n else np.zeros(0, dtype=np.int64)
    median = np.asarray([DURATION_MEDIAN_DAYS[i] for i in INTENSITIES])[intensity]
    duration = np.clip(median * np.exp(rng.normal(0, DURATION_SIGMA, n)), *DURATION_BOUNDS).astype(np.int64)
    reason = (
        _choice_rows(rng, np.array([END_REASON_MIX[i] for i in INTENSITIES])[intensity]) if n else intensity
    )
    end = start + duration
    return intensity, end, end < today_day, reason


def skeleton(rng, n: int, today_day: int) -> Skeleton:
    status = _choice(rng, STATUS_SHARES, n)
    sex = _choice(rng, SEX_SHARES, n)
    age = np.zeros(n)
    for s, name in enumerate(STATUSES):
        idx = np.flatnonzero(status == s)
        bands = AGE_BANDS[name]
        band = _choice(rng, [b[2] for b in bands], len(idx))
        lo = np.array([b[0] for b in bands])[band]
        hi = np.array([b[1] for b in bands])[band]
        age[idx] = lo + rng.random(len(idx)) * (hi - lo + 1)
    commune = _choice(rng, ref.COMMUNE_WEIGHTS, n)
    priority_area = rng.random(n) < np.asarray([c[7] for c in ref.COMMUNES])[commune]
    rsa_rate = np.asarray([MINIMUM_INCOME_RATE.get(s, 0.0) for s in STATUSES])[status]
    minimum_income = (rng.random(n) < rsa_rate) & (age >= MINIMUM_INCOME_MIN_AGE)
    disability_rate = np.asarray([DISABILITY_RATE.get(s, DISABILITY_RATE_OTHERS) for s in STATUSES])[status]
    disability = rng.random(n) < disability_rate
    age_group = np.digitize(age, [26, 50])
    autonomy = _choice_rows(rng, np.asarray(AUTONOMY_BY_AGE)[age_group])

    recent = rng.random(n) < RECENT_START_SHARE
    start1 = today_day - np.where(recent, _uniform_int(rng, 1, 365), _uniform_int(rng, 366, HISTORY_DAYS))
    birth_day = start1 - (age * 365.25).astype(np.int64)
    needs = minimum_income | disability | (autonomy == AUTONOMY.index("none"))

    org1 = _route(rng, status, age, commune, minimum_income, disability)
    intensity1, end1, closed1, reason1 = _episode_plan(rng, org1, needs, start1, today_day)

    start2 = end1 + _uniform_int(rng, *SECOND_EPISODE_GAP_DAYS)
    has2 = closed1 & (start2 < today_day - 7) & (rng.random(n) < SECOND_EPISODE_RATE)
    p2 = np.flatnonzero(has2)
    age2 = age[p2] + (start2[p2] - start1[p2]) / 365.25
    org2 = _route(rng, status[p2], age2, commune[p2], minimum_income[p2], disability[p2])
    transferred = reason1[p2] == END_REASONS.index("transferred")
    org2 = np.where(
        transferred & (org2 == org1[p2]),
        np.where(org2 == ref.PRIVATE, ref.PES_BY_COMMUNE[0], ref.PRIVATE),
        org2,
    )
    org2 = np.where(transferred & (org2 == org1[p2]), ref.ASSOCIATION, org2)
    intensity2, end2, closed2, reason2 = _episode_plan(rng, org2, needs[p2], start2[p2], today_day)

    return Skeleton(
        n=n,
        status=status,
        sex=sex,
        age=age,
        commune=commune,
        priority_area=priority_area,
        minimum_income=minimum_income,
        disability=disability,
        autonomy=autonomy,
        birth_day=birth_day - rng.integers(0, 365, n),
        person=np.concatenate([np.arange(n), p2]),
        seq=np.concatenate([np.zeros(n, dtype=np.int64), np.ones(len(p2), dtype=np.int64)]),
        org=np.concatenate([org1, org2]),
        intensity=np.concatenate([intensity1, intensity2]),
        start=np.concatenate([start1, start2[p2]]),
        end=np.concatenate([end1, end2]),
        closed=np.concatenate([closed1, closed2]),
        reason=np.concatenate([reason1, reason2]),
    )
