"""The 24 months of history of one chunk of people: every row the actions would have written.

See ``parcours.demo.generator`` for the rates and the principle (a vectorised data load that
writes what ``open_episode``, ``change_stage``, ``hand_over_episode``, ``record_contact``,
``plan_appointment``, ``mark_appointment_*``, ``add_follow_up_member``, ``give_consent``,
``change_status`` and ``close_episode`` write, CaseEvents included).
"""

import re

import numpy as np
import pandas as pd
from unidecode import unidecode

from parcours.demo import reference as ref
from parcours.demo.generator import (
    APPOINTMENT_PURPOSES,
    APPOINTMENT_SHARE,
    APPROACH_MIX_GLOBAL_INTENSITY,
    APPROACH_MIX_OTHERS,
    APPROACHES,
    AUTONOMY,
    CANCELLED_BY_PERSON_SHARE,
    CANCELLED_PER_HELD,
    CLOSED,
    CONSENT_WITHDRAWN_RATE,
    CONTACT_CHANNEL_MIX,
    CONTACT_CHANNELS,
    CONTACT_CONSENT_RATE,
    CONTACT_GAP_BOUNDS,
    CONTACT_GAP_MEDIAN,
    CONTACT_GAP_SIGMA,
    CONTACT_SUMMARIES,
    DAY,
    DURATION_BY_CHANNEL,
    EMAIL_RATE,
    EMP,
    EMPLOYMENT_PATHS,
    END_REASONS,
    FIRST_CONTACT_SUMMARY,
    FOLLOW_UP_RATES,
    FOLLOW_UP_ROLES,
    HANDOVER_RATE,
    HANDOVER_REASONS,
    INBOUND_SHARE,
    INTENSITIES,
    JS,
    LAPSED_OPEN_SHARE,
    MISSED_PER_HELD,
    OTHER_PATHS,
    PHONE_RATE,
    PREFERRED_CHANNELS,
    REFERRAL_CONSENT_RATE,
    SELF_EMPLOYMENT_PATHS,
    SENSITIVE_ACCESS_SHARE,
    SENSITIVE_CONTACT_SHARE,
    SENSITIVE_SUMMARY,
    SEXES,
    STAGE_MEAN_DAYS,
    STAGES,
    STATUSES,
    UPCOMING_APPOINTMENT_SHARE,
    Clock,
    Ids,
    Territory,
    _business_seconds,
    _choice,
    _choice_rows,
    _date,
    _dt,
    _nullable_int,
    _pick,
    _slot_seconds,
    _uniform_int,
    _uuid_hex,
    skeleton,
)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]+", "", unidecode(name).lower())


FEMALE = np.asarray(ref.FEMALE_FIRST_NAMES, dtype=object)
MALE = np.asarray(ref.MALE_FIRST_NAMES, dtype=object)
LAST = np.asarray(ref.LAST_NAMES, dtype=object)
FEMALE_SLUG = np.asarray([_slug(x) for x in FEMALE], dtype=object)
MALE_SLUG = np.asarray([_slug(x) for x in MALE], dtype=object)
LAST_SLUG = np.asarray([_slug(x) for x in LAST], dtype=object)


def _json(**columns) -> np.ndarray:
    """JSON objects built column by column (ints stay numbers, everything else is a string)."""
    out = None
    for i, (key, values) in enumerate(columns.items()):
        values = np.asarray(values)
        if values.dtype.kind in "iu":
            text = pd.Series(values.astype(str), dtype=object)
        else:
            text = '"' + pd.Series(values.astype(str), dtype=object) + '"'
        piece = ("{" if i == 0 else ", ") + f'"{key}": ' + text
        out = piece if out is None else out + piece
    return (out + "}").to_numpy(dtype=object) if out is not None else np.zeros(0, dtype=object)


def _per_org_choice(rng, org: np.ndarray, pools: list[np.ndarray], weights: list[np.ndarray] | None = None):
    out = np.zeros(len(org), dtype=np.int64)
    for o, pool in enumerate(pools):
        idx = np.flatnonzero(org == o)
        if len(idx) and len(pool):
            p = None if weights is None else weights[o]
            out[idx] = rng.choice(pool, size=len(idx), p=p)
    return out


class _Events:
    def __init__(self):
        self.parts = []

    def add(self, *, person, episode, actor, kind, at, data, section=None):
        n = len(person)
        if not n:
            return
        self.parts.append(
            {
                "person": np.asarray(person, dtype=np.int64),
                "episode": np.asarray(episode, dtype=np.int64) if episode is not None else np.full(n, -1),
                "actor": np.asarray(actor, dtype=np.int64),
                "kind": np.full(n, kind, dtype=object),
                "section": np.full(n, "general", dtype=object)
                if section is None
                else np.asarray(section, dtype=object),
                "data": np.asarray(data, dtype=object)
                if not isinstance(data, str)
                else np.full(n, data, dtype=object),
                "at": np.asarray(at, dtype=np.int64),
            }
        )

    def frame(self, ids: Ids, clock: Clock) -> pd.DataFrame:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.lexsort((cols["at"], cols["person"]))
        cols = {k: v[order] for k, v in cols.items()}
        n = len(order)
        return pd.DataFrame(
            {
                "id": ids.take("caseevent", n),
                "person_id": cols["person"],
                "episode_id": _nullable_int(cols["episode"], cols["episode"] >= 0),
                "actor_id": cols["actor"],
                "kind": cols["kind"],
                "section": cols["section"],
                "data": cols["data"],
                "at": _dt(clock, cols["at"]),
            }
        )


def generate_chunk(rng, n: int, terr: Territory, ids: Ids, clock: Clock) -> dict[str, pd.DataFrame]:
    """All rows for `n` new people, as one DataFrame per table (keys: app_label.model)."""
    today = terr.today_day
    sk = skeleton(rng, n, today)
    events = _Events()
    person_ids = ids.take("person", n)
    n_ep = len(sk.person)
    episode_ids = ids.take("supportepisode", n_ep)
    ep_person_id = person_ids[sk.person]
    org = sk.org
    org_id = terr.org_ids[org]
    target = np.asarray([terr.target_days[i] for i in INTENSITIES])[sk.intensity]
    stop = np.where(sk.closed, sk.end, today)  # activity happens on days < stop
    window = stop - sk.start

    # --- Referents and handovers -------------------------------------------------------------
    ref1 = _per_org_choice(rng, org, terr.counselors, terr.counselor_weights)
    pool_size = np.asarray([len(c) for c in terr.counselors])[org]
    handover = (rng.random(n_ep) < HANDOVER_RATE) & (pool_size >= 2) & (window >= 30)
    handover_t = (sk.start + _uniform_int(rng, 7, np.maximum(window - 1, 7))) * DAY + _business_seconds(
        rng, n_ep, 10, 16
    )
    ref2 = _per_org_choice(rng, org, terr.counselors)
    for o, pool in enumerate(terr.counselors):  # never hand over to the same counselor
        idx = np.flatnonzero((org == o) & (ref2 == ref1))
        if len(idx) and len(pool) >= 2:
            pos = np.searchsorted(np.sort(pool), ref1[idx])
            ref2[idx] = np.sort(pool)[(pos + 1) % len(pool)]
    handover &= ref2 != ref1
    referent = np.where(handover, ref2, ref1)

    def referent_at(ep, t):
        return np.where(handover[ep] & (t >= handover_t[ep]), ref2[ep], ref1[ep])

    manager = terr.managers[org]
    site = np.zeros(n_ep, dtype=np.int64)
    for o, pool in enumerate(terr.sites):
        idx = np.flatnonzero(org == o)
        if not len(idx):
            continue
        near = terr.site_communes[o][None, :] == sk.commune[sk.person[idx]][:, None]
        pick = np.where(near.any(axis=1), near.argmax(axis=1), rng.integers(0, len(pool), len(idx)))
        site[idx] = pool[pick]

    open_t = sk.start * DAY + 9 * 3600 + rng.integers(0, 1800, n_ep)
    close_t = sk.end * DAY + 16 * 3600 + rng.integers(0, 3600, n_ep)
    approach = _choice_rows(
        rng,
        np.where(
            (sk.intensity == INTENSITIES.index("global"))[:, None],
            np.asarray(APPROACH_MIX_GLOBAL_INTENSITY)[None, :],
            np.asarray(APPROACH_MIX_OTHERS)[None, :],
        ),
    )
    intensity_code = _pick(INTENSITIES, sk.intensity)
    approach_code = _pick(APPROACHES, approach)
    events.add(
        person=ep_person_id,
        episode=episode_ids,
        actor=ref1,
        kind="episode_opened",
        at=open_t,
        data=_json(
            organisation=org_id,
            referent=ref1,
            intensity=intensity_code.astype(str),
            approach=approach_code.astype(str),
        ),
    )

    # --- Stages ---------------------------------------------------------------------------------
    employment = np.isin(
        sk.reason, [END_REASONS.index("employed_durable"), END_REASONS.index("employed_short")]
    )
    self_employment = sk.reason == END_REASONS.index("self_employed")
    paths = np.full((n_ep, 7), -1, dtype=np.int64)
    for mask, table in (
        (employment, EMPLOYMENT_PATHS),
        (self_employment, SELF_EMPLOYMENT_PATHS),
        (~employment & ~self_employment, OTHER_PATHS),
    ):
        idx = np.flatnonzero(mask)
        which = _choice(rng, [p for _, p in table], len(idx))
        for k, (path, _) in enumerate(table):
            rows = idx[which == k]
            paths[rows, : len(path)] = path
    length = (paths >= 0).sum(axis=1)
    weights = np.where(
        paths >= 0, STAGE_MEAN_DAYS[np.maximum(paths, 0)] * rng.gamma(4.0, 0.25, (n_ep, 7)), 0.0
    )
    frac = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    planned = (sk.end - sk.start)[:, None]
    enter = np.concatenate(
        [sk.start[:, None], sk.start[:, None] + np.floor(planned * frac[:, :-1]).astype(np.int64)], axis=1
    )
    steps = np.arange(7)
    enter = np.maximum.accumulate(enter - steps, axis=1) + steps  # at least one day per stage
    valid = (steps[None, :] >= 1) & (steps[None, :] < length[:, None]) & (enter < stop[:, None])
    n_valid = valid.sum(axis=1)
    current = paths[np.arange(n_ep), n_valid]
    te, ti = np.nonzero(valid)
    tr_at = enter[te, ti] * DAY + _business_seconds(rng, len(te), 10, 16)
    tr_from = paths[te, ti - 1]
    tr_to = paths[te, ti]
    ce = np.flatnonzero(sk.closed)
    all_te = np.concatenate([te, ce])
    all_from = np.concatenate([tr_from, current[ce]])
    all_to = np.concatenate([tr_to, np.full(len(ce), CLOSED)])
    all_at = np.concatenate([tr_at, close_t[ce]])
    reason_code = _pick(END_REASONS, sk.reason)
    tr_by = np.concatenate([referent_at(te, tr_at), referent[ce]])
    transitions = pd.DataFrame(
        {
            "id": ids.take("stagetransition", len(all_te)),
            "episode_id": episode_ids[all_te],
            "from_stage": _pick(STAGES, all_from),
            "to_stage": _pick(STAGES, all_to),
            "at": _dt(clock, all_at),
            "by_id": tr_by,
            "reason": np.concatenate([np.full(len(te), "", dtype=object), reason_code[ce]]),
        }
    )
    events.add(
        person=ep_person_id[te],
        episode=episode_ids[te],
        actor=tr_by[: len(te)],
        kind="stage_changed",
        at=tr_at,
        data=_json(**{"from": _pick(STAGES, tr_from).astype(str), "to": _pick(STAGES, tr_to).astype(str)}),
    )
    events.add(
        person=ep_person_id[ce],
        episode=episode_ids[ce],
        actor=referent[ce],
        kind="episode_closed",
        at=close_t[ce],
        data=_json(reason=reason_code[ce].astype(str), **{"from": _pick(STAGES, current[ce]).astype(str)}),
    )

    # --- Referent history -----------------------------------------------------------------------
    ho = np.flatnonzero(handover)
    ho_reason = _pick(HANDOVER_REASONS, rng.integers(0, len(HANDOVER_REASONS), len(ho)))
    first_end = np.where(handover, handover_t, close_t)
    first_ended = handover | sk.closed
    assignments = pd.DataFrame(
        {
            "id": ids.take("referentassignment", n_ep + len(ho)),
            "episode_id": np.concatenate([episode_ids, episode_ids[ho]]),
            "referent_id": np.concatenate([ref1, ref2[ho]]),
            "started_at": _dt(clock, np.concatenate([open_t, handover_t[ho]])),
            "ended_at": _dt(
                clock, np.concatenate([first_end, close_t[ho]]), np.concatenate([first_ended, sk.closed[ho]])
            ),
            "assigned_by_id": np.concatenate([ref1, manager[ho]]),
            "reason": np.concatenate([np.full(n_ep, "ouverture", dtype=object), ho_reason]),
        }
    )
    events.add(
        person=ep_person_id[ho],
        episode=episode_ids[ho],
        actor=manager[ho],
        kind="referent_changed",
        at=handover_t[ho],
        data=_json(**{"from": ref1[ho], "to": ref2[ho], "reason": ho_reason.astype(str)}),
    )

    # --- Contacts -------------------------------------------------------------------------------
    lapsed = ~sk.closed & (rng.random(n_ep) < LAPSED_OPEN_SHARE)
    contact_stop = np.where(lapsed, today - (target * (1.2 + 1.8 * rng.random(n_ep))).astype(np.int64), stop)
    no_contact = sk.closed & (sk.reason == END_REASONS.index("no_contact"))
    contact_stop = np.where(
        no_contact, sk.end - (target * (1.5 + 1.5 * rng.random(n_ep))).astype(np.int64), contact_stop
    )
    contact_stop = np.maximum(contact_stop, sk.start + 1)
    c_ep_parts, c_day_parts = [], []
    low, high = CONTACT_GAP_BOUNDS
    for days_target in np.unique(target):
        idx = np.flatnonzero(target == days_target)
        span = int((contact_stop[idx] - sk.start[idx]).max())
        width = max(1, int(np.ceil(span / max(1.0, low * days_target))) + 1)
        factor = np.clip(
            CONTACT_GAP_MEDIAN * np.exp(rng.normal(0, CONTACT_GAP_SIGMA, (len(idx), width - 1))), low, high
        )
        gaps = np.maximum(1, np.rint(factor * days_target)).astype(np.int64)
        days = sk.start[idx, None] + np.concatenate(
            [np.zeros((len(idx), 1), dtype=np.int64), np.cumsum(gaps, axis=1)], axis=1
        )
        r, c = np.nonzero(days < contact_stop[idx, None])
        c_ep_parts.append(idx[r])
        c_day_parts.append(days[r, c])
    c_ep = np.concatenate(c_ep_parts)
    c_day = np.concatenate(c_day_parts)
    order = np.lexsort((c_day, c_ep))
    c_ep, c_day = c_ep[order], c_day[order]
    n_c = len(c_ep)
    first = np.r_[True, c_ep[1:] != c_ep[:-1]]
    autonomy = sk.autonomy[sk.person[c_ep]]
    mix = np.asarray([CONTACT_CHANNEL_MIX[a] for a in AUTONOMY])[autonomy]
    channel = np.where(first, 0, _choice_rows(rng, mix))
    channel_code = _pick(CONTACT_CHANNELS, channel)
    inbound = ~first & (channel_code != "workshop") & (rng.random(n_c) < INBOUND_SHARE)
    appt_rate = np.asarray([APPOINTMENT_SHARE.get(c, 0.0) for c in CONTACT_CHANNELS])[channel]
    is_appt = ~first & ~inbound & (rng.random(n_c) < appt_rate)
    c_at = c_day * DAY + np.where(is_appt, _slot_seconds(rng, n_c), _business_seconds(rng, n_c))
    c_at = np.where(first, open_t[c_ep] + 600, c_at)
    duration = np.zeros(n_c, dtype=np.int64)
    has_duration = np.zeros(n_c, dtype=bool)
    for ch, options in DURATION_BY_CHANNEL.items():
        idx = np.flatnonzero(channel_code == ch)
        duration[idx] = rng.choice(options, len(idx))
        has_duration[idx] = True
    sensitive = ~first & (rng.random(n_c) < SENSITIVE_CONTACT_SHARE)
    summary = np.where(
        first,
        FIRST_CONTACT_SUMMARY,
        np.where(
            sensitive,
            SENSITIVE_SUMMARY,
            _pick(CONTACT_SUMMARIES, rng.integers(0, len(CONTACT_SUMMARIES), n_c)),
        ),
    ).astype(object)
    section = np.where(sensitive, "health", "general").astype(object)
    author = referent_at(c_ep, c_at)
    contact_ids = ids.take("contact", n_c)
    recorded_t = np.where(is_appt, c_at + duration * 60, c_at + rng.integers(0, 1800, n_c))
    contacts = pd.DataFrame(
        {
            "id": contact_ids,
            "episode_id": episode_ids[c_ep],
            "channel": channel_code,
            "direction": np.where(inbound, "inbound", "outbound").astype(object),
            "occurred_at": _dt(clock, c_at),
            "duration_minutes": _nullable_int(duration, has_duration),
            "summary": summary,
            "section": section,
            "author_id": author,
            "created_at": _dt(clock, recorded_t),
        }
    )
    events.add(
        person=ep_person_id[c_ep],
        episode=episode_ids[c_ep],
        actor=author,
        kind="contact_recorded",
        at=c_at,
        section=section,
        data=_json(contact=contact_ids, channel=channel_code.astype(str)),
    )
    last_contact = np.full(n_ep, -1, dtype=np.int64)
    np.maximum.at(last_contact, c_ep, c_at)
    first_contact = np.full(n_ep, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_contact, c_ep, c_at)
    contact_count = np.bincount(c_ep, minlength=n_ep).astype(np.int64)
    next_due = last_contact // DAY + target

    # --- Appointments: held (→ contact), missed, cancelled, upcoming ----------------------------
    h = np.flatnonzero(is_appt)
    h_ep = c_ep[h]
    lead = rng.integers(3, 22, len(h)) * DAY
    h_created = np.maximum(open_t[h_ep] + 3600, c_at[h] - lead)
    u = rng.random(len(h))
    failed = u < MISSED_PER_HELD + CANCELLED_PER_HELD
    f = h[failed]
    f_ep = c_ep[f]
    f_sched = c_at[f] - rng.integers(2, 11, len(f)) * DAY
    keep = f_sched // DAY > sk.start[f_ep]
    f, f_ep, f_sched = f[keep], f_ep[keep], f_sched[keep]
    f_missed = (u[failed] < MISSED_PER_HELD)[keep]
    f_created = np.maximum(open_t[f_ep] + 3600, f_sched - rng.integers(3, 22, len(f)) * DAY)
    f_created = np.minimum(f_created, f_sched - 3600)
    f_outcome = np.where(
        f_missed,
        f_sched + duration[f] * 60 + 600,
        f_created + (rng.random(len(f)) * (f_sched - f_created)).astype(np.int64),
    )
    by_person = rng.random(len(f)) < CANCELLED_BY_PERSON_SHARE
    up = np.flatnonzero(~sk.closed & ~lapsed & (rng.random(n_ep) < UPCOMING_APPOINTMENT_SHARE))
    up_sched = (today + rng.integers(1, 22, len(up))) * DAY + _slot_seconds(rng, len(up))
    up_channel = _pick(["in_person", "phone", "video"], _choice(rng, [0.7, 0.15, 0.15], len(up)))
    up_created = last_contact[up] + 300

    a_ep = np.concatenate([h_ep, f_ep, up])
    a_sched = np.concatenate([c_at[h], f_sched, up_sched])
    a_channel = np.concatenate([channel_code[h], channel_code[f], up_channel])
    a_status = np.concatenate(
        [
            np.full(len(h), "held", dtype=object),
            np.where(f_missed, "missed", "cancelled").astype(object),
            np.full(len(up), "planned", dtype=object),
        ]
    )
    a_cancelled_by = np.concatenate(
        [
            np.full(len(h), "", dtype=object),
            np.where(f_missed, "", np.where(by_person, "person", "staff")).astype(object),
            np.full(len(up), "", dtype=object),
        ]
    )
    a_created = np.concatenate([h_created, f_created, up_created])
    a_updated = np.concatenate([recorded_t[h], f_outcome, up_created])
    a_duration = np.concatenate([duration[h], duration[f], np.full(len(up), 45)])
    a_contact = np.concatenate([contact_ids[h], np.zeros(len(f) + len(up), dtype=np.int64)])
    a_has_contact = np.arange(len(a_ep)) < len(h)
    a_with = referent_at(a_ep, a_sched)
    a_with[len(h) + len(f) :] = referent[up]
    a_by = referent_at(a_ep, a_created)
    a_ids = ids.take("appointment", len(a_ep))
    in_person = a_channel == "in_person"
    appointments = pd.DataFrame(
        {
            "id": a_ids,
            "episode_id": episode_ids[a_ep],
            "scheduled_at": _dt(clock, a_sched),
            "duration_minutes": a_duration,
            "channel": a_channel,
            "with_user_id": a_with,
            "site_id": _nullable_int(site[a_ep], in_person),
            "purpose": _pick(APPOINTMENT_PURPOSES, rng.integers(0, len(APPOINTMENT_PURPOSES), len(a_ep))),
            "status": a_status,
            "cancelled_by": a_cancelled_by,
            "contact_id": _nullable_int(a_contact, a_has_contact),
            "created_by_id": a_by,
            "created_at": _dt(clock, a_created),
            "updated_at": _dt(clock, a_updated),
        }
    )
    sched_iso = np.char.add(
        np.datetime_as_string(appointments["scheduled_at"].to_numpy(), unit="s"), "+00:00"
    )
    events.add(
        person=ep_person_id[a_ep],
        episode=episode_ids[a_ep],
        actor=a_by,
        kind="appointment_planned",
        at=a_created,
        data=_json(appointment=a_ids, channel=a_channel.astype(str), scheduled_at=sched_iso),
    )
    nh = len(h)
    events.add(
        person=ep_person_id[h_ep],
        episode=episode_ids[h_ep],
        actor=a_with[:nh],
        kind="appointment_held",
        at=recorded_t[h],
        data=_json(appointment=a_ids[:nh]),
    )
    fm = nh + np.flatnonzero(f_missed)
    events.add(
        person=ep_person_id[a_ep[fm]],
        episode=episode_ids[a_ep[fm]],
        actor=a_with[fm],
        kind="appointment_missed",
        at=a_updated[fm],
        data=_json(appointment=a_ids[fm]),
    )
    fc = nh + np.flatnonzero(~f_missed)
    events.add(
        person=ep_person_id[a_ep[fc]],
        episode=episode_ids[a_ep[fc]],
        actor=referent_at(a_ep[fc], a_updated[fc]),
        kind="appointment_cancelled",
        at=a_updated[fc],
        data=_json(appointment=a_ids[fc], cancelled_by=a_cancelled_by[fc].astype(str)),
    )

    # --- Episodes -------------------------------------------------------------------------------
    updated = np.maximum.reduce(
        [open_t, last_contact + 1800, np.where(handover, handover_t, 0), np.where(sk.closed, close_t, 0)]
    )
    if len(te):
        np.maximum.at(updated, te, tr_at)
    episodes = pd.DataFrame(
        {
            "id": episode_ids,
            "public_id": _uuid_hex(rng, n_ep),
            "person_id": ep_person_id,
            "organisation_id": org_id,
            "site_id": site,
            "commune_id": terr.commune_ids[sk.commune[sk.person]],
            "referent_id": referent,
            "started_on": _date(sk.start),
            "ended_on": _date(sk.end, sk.closed),
            "end_reason": np.where(sk.closed, reason_code, "").astype(object),
            "intensity": intensity_code,
            "contact_target_days": target,
            "approach": approach_code,
            "stage": np.where(sk.closed, "closed", _pick(STAGES, current)).astype(object),
            "last_contact_at": _dt(clock, last_contact),
            "first_contact_at": _dt(clock, np.where(contact_count > 0, first_contact, 0), contact_count > 0),
            "contact_count": contact_count,
            "next_contact_due": _date(next_due),
            "version": np.ones(n_ep, dtype=np.int64),
            "created_at": _dt(clock, open_t),
            "updated_at": _dt(clock, updated),
        }
    )

    # --- Follow-up members and consents ---------------------------------------------------------
    p_of = sk.person
    age_at_start = sk.age[p_of] + (sk.start - sk.start[:n][p_of]) / 365.25
    in_59 = ~np.isin(sk.commune[p_of], [ref.COMMUNE_INDEX["Lens"], ref.COMMUNE_INDEX["Liévin"]])
    conds = [
        sk.minimum_income[p_of] & (org != ref.DEPARTEMENT) & in_59,
        sk.disability[p_of] & (org != ref.CAP_EMPLOI),
        (age_at_start <= 25) & (org != ref.MISSION_LOCALE),
    ]
    fu_org = np.select(conds, [ref.DEPARTEMENT, ref.CAP_EMPLOI, ref.MISSION_LOCALE], default=ref.TRAINING)
    fu_rate = np.select(
        conds,
        [FOLLOW_UP_RATES["departement"], FOLLOW_UP_RATES["cap_emploi"], FOLLOW_UP_RATES["mission_locale"]],
        default=FOLLOW_UP_RATES["training"],
    )
    fu = np.flatnonzero((rng.random(n_ep) < fu_rate) & (window >= 14) & (fu_org != org))
    fu_org = fu_org[fu]
    fu_t = (sk.start[fu] + _uniform_int(rng, 1, np.minimum(60, window[fu] - 1))) * DAY + _business_seconds(
        rng, len(fu), 11, 15
    )
    fu_user = _per_org_choice(rng, fu_org, terr.counselors)
    fu_access = np.where(rng.random(len(fu)) < SENSITIVE_ACCESS_SHARE, "sensitive", "standard").astype(object)
    fu_by = referent_at(fu, fu_t)
    followers = pd.DataFrame(
        {
            "id": ids.take("followupmember", len(fu)),
            "episode_id": episode_ids[fu],
            "user_id": fu_user,
            "organisation_id": terr.org_ids[fu_org],
            "role": _pick([FOLLOW_UP_ROLES.get(o, "") for o in range(len(ref.ORGANISATIONS))], fu_org),
            "access_level": fu_access,
            "started_at": _dt(clock, fu_t),
            "ended_at": _dt(clock, close_t[fu], sk.closed[fu]),
            "added_by_id": fu_by,
        }
    )
    events.add(
        person=ep_person_id[fu],
        episode=episode_ids[fu],
        actor=fu_by,
        kind="follower_added",
        at=fu_t,
        data=_json(user=fu_user, organisation=terr.org_ids[fu_org], access=fu_access.astype(str)),
    )
    cc = np.flatnonzero(rng.random(n_ep) < CONTACT_CONSENT_RATE)
    rc = np.flatnonzero(rng.random(n_ep) < REFERRAL_CONSENT_RATE)
    rc_t = (sk.start[rc] + _uniform_int(rng, 0, np.maximum(window[rc] - 1, 0))) * DAY + _business_seconds(
        rng, len(rc), 9, 17
    )
    k_ep = np.concatenate([fu, cc, rc])
    k_org = np.concatenate([fu_org, org[cc], np.full(len(rc), ref.TRAINING)])
    k_scope = np.concatenate(
        [
            np.full(len(fu), "case_file", dtype=object),
            np.full(len(cc), "contact", dtype=object),
            np.full(len(rc), "referral", dtype=object),
        ]
    )
    k_t = np.concatenate([fu_t - 600, open_t[cc] + 300, rc_t])
    k_by = np.concatenate([fu_by, ref1[cc], referent_at(rc, rc_t)])
    consent = pd.DataFrame(
        {"ep": k_ep, "org": k_org, "scope": k_scope, "t": k_t, "by": k_by, "person": p_of[k_ep]}
    )
    consent = consent.sort_values(["t"], kind="stable").drop_duplicates(
        ["person", "org", "scope"], keep="first"
    )
    k_ep, k_org, k_scope, k_t, k_by = (consent[c].to_numpy() for c in ("ep", "org", "scope", "t", "by"))
    withdraw_t = k_t + rng.integers(20, 201, len(k_ep)) * DAY
    withdrawn = (
        (k_scope != "case_file")
        & (rng.random(len(k_ep)) < CONSENT_WITHDRAWN_RATE)
        & (withdraw_t // DAY < today)
    )
    consents = pd.DataFrame(
        {
            "id": ids.take("consent", len(k_ep)),
            "person_id": ep_person_id[k_ep],
            "organisation_id": terr.org_ids[k_org],
            "scope": k_scope.astype(object),
            "given_at": _dt(clock, k_t),
            "withdrawn_at": _dt(clock, withdraw_t, withdrawn),
            "recorded_by_id": k_by,
            "note": np.full(len(k_ep), "", dtype=object),
        }
    )
    events.add(
        person=ep_person_id[k_ep],
        episode=None,
        actor=k_by,
        kind="consent_given",
        at=k_t,
        data=_json(organisation=terr.org_ids[k_org], scope=k_scope.astype(str)),
    )
    w = np.flatnonzero(withdrawn)
    events.add(
        person=ep_person_id[k_ep[w]],
        episode=None,
        actor=k_by[w],
        kind="consent_withdrawn",
        at=withdraw_t[w],
        data=_json(organisation=terr.org_ids[k_org[w]], scope=k_scope[w].astype(str)),
    )

    # --- Status history ---------------------------------------------------------------------
    created_t = open_t[:n] - 300
    s_employed, s_job_seeker = STATUSES.index("employed"), STATUSES.index("job_seeker")
    to_emp = np.flatnonzero(tr_to == EMP)
    back = np.flatnonzero((tr_from == EMP) & (tr_to == JS))
    training = ce[sk.reason[ce] == END_REASONS.index("training")]
    creation = ce[sk.reason[ce] == END_REASONS.index("self_employed")]
    second = np.flatnonzero(sk.seq == 1)
    second = second[sk.status[p_of[second]] == s_job_seeker]
    st = pd.DataFrame(
        {
            "person": np.concatenate(
                [np.arange(n), p_of[te[to_emp]], p_of[te[back]], p_of[training], p_of[creation], p_of[second]]
            ),
            "ep": np.concatenate([np.arange(n), te[to_emp], te[back], training, creation, second]),
            "t": np.concatenate(
                [created_t, tr_at[to_emp], tr_at[back], close_t[training], close_t[creation], open_t[second]]
            ),
            "status": np.concatenate(
                [
                    sk.status,
                    np.full(len(to_emp), s_employed),
                    np.full(len(back), s_job_seeker),
                    np.full(len(training), STATUSES.index("student")),
                    np.full(len(creation), STATUSES.index("self_employed")),
                    np.full(len(second), s_job_seeker),
                ]
            ),
        }
    ).sort_values(["person", "t"], kind="stable")
    same_person = st["person"].eq(st["person"].shift())
    st = st[~(same_person & st["status"].eq(st["status"].shift()))]
    sp_person = st["person"].to_numpy()
    sp_ep = st["ep"].to_numpy()
    sp_t = st["t"].to_numpy()
    sp_status = st["status"].to_numpy()
    is_initial = ~np.r_[False, sp_person[1:] == sp_person[:-1]]
    has_next = np.r_[sp_person[1:] == sp_person[:-1], False]
    next_t = np.r_[sp_t[1:], 0]
    sp_by = referent_at(sp_ep, sp_t)
    status_periods = pd.DataFrame(
        {
            "id": ids.take("statusperiod", len(sp_person)),
            "person_id": person_ids[sp_person],
            "status": _pick(STATUSES, sp_status),
            "started_on": _date(sp_t // DAY),
            "ended_on": _date(next_t // DAY, has_next),
            "recorded_by_id": sp_by,
        }
    )
    chg = np.flatnonzero(~is_initial)
    events.add(
        person=person_ids[sp_person[chg]],
        episode=None,
        actor=sp_by[chg],
        kind="status_changed",
        at=sp_t[chg],
        data=_json(
            **{
                "from": _pick(STATUSES, sp_status[chg - 1]).astype(str),
                "to": _pick(STATUSES, sp_status[chg]).astype(str),
                "since": _date(sp_t[chg] // DAY).astype(str),
            }
        ),
    )
    current_status = np.zeros(n, dtype=np.int64)
    current_status[sp_person] = sp_status  # rows are sorted by time: the last one wins
    status_changed_t = np.zeros(n, dtype=np.int64)
    status_changed_t[sp_person] = sp_t

    # --- People ---------------------------------------------------------------------------------
    events.add(
        person=person_ids, episode=None, actor=ref1[:n], kind="person_created", at=created_t, data="{}"
    )
    female = (sk.sex == 0) | ((sk.sex == 2) & (rng.random(n) < 0.5))
    fi = rng.integers(0, len(FEMALE), n)
    mi = rng.integers(0, len(MALE), n)
    li = rng.integers(0, len(LAST), n)
    first_name = np.where(female, FEMALE[fi], MALE[mi])
    first_slug = np.where(female, FEMALE_SLUG[fi], MALE_SLUG[mi])
    autonomy_code = _pick(AUTONOMY, sk.autonomy)
    has_email = rng.random(n) < np.asarray([EMAIL_RATE[a] for a in AUTONOMY])[sk.autonomy]
    email = (
        pd.Series(first_slug)
        + "."
        + pd.Series(LAST_SLUG[li])
        + rng.integers(1, 100, n).astype(str)
        + "@example.org"
    )
    # 06 39 98 xx xx: a mobile range set aside for fiction, so no demo number rings anyone.
    phone = (
        "06 39 98 "
        + pd.Series(rng.integers(0, 100, n).astype(str)).str.zfill(2)
        + " "
        + pd.Series(rng.integers(0, 100, n).astype(str)).str.zfill(2)
    )
    commune_rows = [ref.COMMUNES[i] for i in range(len(ref.COMMUNES))]
    address = (
        pd.Series(rng.integers(1, 200, n).astype(str))
        + " "
        + pd.Series(_pick(ref.STREETS, rng.integers(0, len(ref.STREETS), n)))
        + ", "
        + pd.Series(_pick([c[2] + " " + c[1] for c in commune_rows], sk.commune))
    )
    channel_json = np.zeros(n, dtype=object)
    for a, name in enumerate(AUTONOMY):
        idx = np.flatnonzero(sk.autonomy == a)
        options = PREFERRED_CHANNELS[name]
        texts = np.asarray(
            ["[" + ", ".join(f'"{c}"' for c in chans) + "]" for chans, _ in options], dtype=object
        )
        channel_json[idx] = texts[_choice(rng, [p for _, p in options], len(idx))]
    people = pd.DataFrame(
        {
            "id": person_ids,
            "public_id": _uuid_hex(rng, n),
            "first_name": first_name,
            "last_name": LAST[li],
            "birth_date": _date(sk.birth_day),
            "sex": _pick(SEXES, sk.sex),
            "email": np.where(has_email, email.to_numpy(dtype=object), "").astype(object),
            "phone": np.where(rng.random(n) < PHONE_RATE, phone.to_numpy(dtype=object), "").astype(object),
            "address": address.to_numpy(dtype=object),
            "commune_id": terr.commune_ids[sk.commune],
            "status": _pick(STATUSES, current_status),
            "preferred_channels": channel_json,
            "digital_autonomy": autonomy_code,
            "minimum_income": sk.minimum_income,
            "priority_area": sk.priority_area,
            "disability_recognition": sk.disability,
            "version": np.ones(n, dtype=np.int64),
            "created_at": _dt(clock, created_t),
            "updated_at": _dt(clock, np.maximum(created_t, status_changed_t)),
            # no file of the demo is old enough to be archived or anonymised (parcours/privacy)
            "archived_at": np.full(n, np.datetime64("NaT", "s")),
            "anonymised_at": np.full(n, np.datetime64("NaT", "s")),
        }
    )
    return {
        "people.person": people,
        "people.statusperiod": status_periods,
        "people.consent": consents,
        "cases.supportepisode": episodes,
        "cases.stagetransition": transitions,
        "cases.referentassignment": assignments,
        "cases.followupmember": followers,
        "cases.contact": contacts,
        "cases.appointment": appointments,
        "cases.caseevent": events.frame(ids, clock),
    }
