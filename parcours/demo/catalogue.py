"""Demo catalogue: a few hundred services across the national taxonomy for the demo territory's
organisations and communes, referrals in every state, workshops, and partnership conventions with
at least one real gap and one overlap. Deterministic for a given seed.

Called by the demo command (``extras.build_extras``) with the organisations, communes and episodes it made:

    build_demo_catalogue(rng_seed=42, organisations=orgs, territories=communes, episodes=episodes)
"""

import datetime
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.accounts.models import CASE_ROLES, Membership, Role
from parcours.catalogue import actions
from parcours.catalogue import taxonomy as tx
from parcours.catalogue.models import REFERRAL_EXPIRY_DAYS, ReferralOutcome, RefusalReason, Service
from parcours.demo.clock import at, during_working_hours, later
from parcours.organisations.models import Organisation, Territory

ALL_KINDS = None  # archetype open to every kind of organisation


@dataclass(frozen=True)
class Archetype:
    name: str
    type: str
    thematiques: tuple[str, ...]
    publics: tuple[str, ...] = (tx.TOUS_PUBLICS,)
    statuses: tuple[str, ...] = ()
    ages: tuple[int | None, int | None] = (None, None)
    reserved_for: tuple[str, ...] = ()
    modes: tuple[str, ...] = (tx.IN_PERSON,)
    at_home: bool = False
    kinds: tuple[str, ...] | None = ALL_KINDS
    description: str = ""


K = Organisation.Kind
ARCHETYPES = [
    Archetype(
        "Atelier CV et lettre de motivation",
        "atelier",
        ("preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",),
        kinds=(K.PES, K.YOUTH_MISSION, K.ASSOCIATION, K.PRIVATE_PROVIDER),
    ),
    Archetype(
        "Atelier simulation d'entretien",
        "atelier",
        ("trouver-un-emploi--convaincre-un-recruteur-en-entretien",),
        kinds=(K.PES, K.YOUTH_MISSION, K.PRIVATE_PROVIDER),
    ),
    Archetype(
        "Accompagnement intensif jeunes (CEJ)",
        "accompagnement",
        (
            "trouver-un-emploi--repondre-a-des-offres-demploi",
            "choisir-un-metier--confirmer-son-choix-de-metier",
        ),
        publics=("jeunes",),
        ages=(16, 25),
        kinds=(K.YOUTH_MISSION, K.PES),
    ),
    Archetype(
        "Conseil en évolution professionnelle",
        "accompagnement",
        (
            "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
            "se-former--trouver-sa-formation",
        ),
        publics=("actifs",),
        statuses=("employed", "self_employed"),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.PRIVATE_PROVIDER, K.ASSOCIATION),
    ),
    Archetype(
        "Maintien dans l'emploi des salariés en situation de handicap",
        "accompagnement",
        ("trouver-un-emploi--maintien-dans-lemploi",),
        publics=("personnes-en-situation-de-handicap",),
        statuses=("employed",),
        reserved_for=("disability_recognition",),
        at_home=True,
        kinds=(K.DISABILITY_OPERATOR,),
    ),
    Archetype(
        "Accompagnement vers l'emploi des personnes handicapées",
        "accompagnement",
        ("trouver-un-emploi--repondre-a-des-offres-demploi",),
        publics=("personnes-en-situation-de-handicap",),
        reserved_for=("disability_recognition",),
        kinds=(K.DISABILITY_OPERATOR,),
    ),
    Archetype(
        "Aide au permis de conduire",
        "aide-financiere",
        ("mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite"),
        publics=("demandeurs-emploi", "jeunes"),
        statuses=("job_seeker",),
        kinds=(K.PES, K.LOCAL_AUTHORITY, K.YOUTH_MISSION),
    ),
    Archetype(
        "Location de véhicule solidaire",
        "aide-materielle",
        ("mobilite--acceder-a-un-vehicule",),
        kinds=(K.ASSOCIATION,),
    ),
    Archetype(
        "Plateforme mobilité : diagnostic et conseil",
        "accompagnement",
        ("mobilite--etre-accompagne-dans-son-parcours-mobilite",),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.ASSOCIATION, K.LOCAL_AUTHORITY),
    ),
    Archetype(
        "Garde d'enfants pour la reprise d'emploi",
        "accompagnement",
        ("famille--garde-denfants",),
        publics=("familles",),
        kinds=(K.LOCAL_AUTHORITY, K.ASSOCIATION),
    ),
    Archetype(
        "Soutien aux parents isolés",
        "accompagnement",
        ("famille--soutien-a-la-parentalite-et-a-leducation",),
        publics=("familles", "femmes"),
        kinds=(K.ASSOCIATION, K.LOCAL_AUTHORITY),
    ),
    Archetype(
        "Accès au logement des jeunes actifs",
        "accompagnement",
        ("logement-hebergement--louer-un-logement",),
        publics=("jeunes",),
        ages=(18, 30),
        kinds=(K.YOUTH_MISSION, K.ASSOCIATION),
    ),
    Archetype(
        "Prévention des impayés de loyer",
        "accompagnement",
        ("logement-hebergement--reduire-les-impayes-de-loyer",),
        kinds=(K.LOCAL_AUTHORITY,),
    ),
    Archetype(
        "Point conseil budget",
        "accompagnement",
        (
            "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
            "difficultes-financieres--situation-dendettement-surendettement",
        ),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.ASSOCIATION, K.LOCAL_AUTHORITY),
    ),
    Archetype(
        "Accompagnement socio-professionnel des allocataires du RSA",
        "accompagnement",
        (
            "trouver-un-emploi--repondre-a-des-offres-demploi",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        ),
        publics=("beneficiaires-des-minimas-sociaux",),
        reserved_for=("minimum_income",),
        kinds=(K.LOCAL_AUTHORITY, K.ASSOCIATION, K.PES),
    ),
    Archetype(
        "Cours de français à visée professionnelle",
        "formation",
        ("lecture-ecriture-calcul--maitriser-le-francais",),
        publics=("personnes-exilees",),
        kinds=(K.ASSOCIATION, K.TRAINING_BODY),
    ),
    Archetype(
        "Ateliers savoirs de base (lire, écrire, compter)",
        "atelier",
        ("lecture-ecriture-calcul--maitriser-le-calcul", "lecture-ecriture-calcul--maitriser-le-francais"),
        kinds=(K.TRAINING_BODY, K.ASSOCIATION),
    ),
    Archetype(
        "Initiation au numérique",
        "atelier",
        ("numerique--maitriser-les-fondamentaux-du-numerique",),
        kinds=ALL_KINDS,
    ),
    Archetype(
        "Aide aux démarches en ligne",
        "accompagnement",
        (
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ),
        kinds=(K.LOCAL_AUTHORITY, K.ASSOCIATION, K.PES),
    ),
    Archetype(
        "Équipement informatique solidaire",
        "aide-materielle",
        ("numerique--acquerir-un-equipement",),
        publics=("beneficiaires-des-minimas-sociaux", "demandeurs-emploi"),
        kinds=(K.ASSOCIATION,),
    ),
    Archetype(
        "Permanence santé et accès aux soins",
        "information",
        ("sante--acces-aux-soins",),
        kinds=(K.LOCAL_AUTHORITY, K.ASSOCIATION),
    ),
    Archetype(
        "Soutien psychologique et bien-être",
        "accompagnement",
        ("sante--sante-mentale", "remobilisation--bien-etre-confiance-en-soi"),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.ASSOCIATION, K.YOUTH_MISSION),
    ),
    Archetype(
        "Accompagnement des personnes sortant de détention",
        "accompagnement",
        ("difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",),
        publics=("personnes-en-situation-juridique-specifique",),
        kinds=(K.ASSOCIATION,),
    ),
    Archetype(
        "Formation qualifiante aux métiers en tension",
        "formation",
        ("se-former--trouver-sa-formation",),
        publics=("demandeurs-emploi", "actifs"),
        kinds=(K.TRAINING_BODY,),
    ),
    Archetype(
        "Immersion en entreprise (PMSMP)",
        "accompagnement",
        ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",),
        kinds=(K.PES, K.YOUTH_MISSION, K.DISABILITY_OPERATOR),
    ),
    Archetype(
        "Création d'entreprise : de l'idée au projet",
        "accompagnement",
        ("creer-une-entreprise--definir-son-projet-de-creation-dentreprise",),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.PES, K.ASSOCIATION),
    ),
    Archetype(
        "Remobilisation par le sport et la culture",
        "atelier",
        ("remobilisation--activites-sportives-et-culturelles",),
        publics=("jeunes", "residents-qpv-frr"),
        ages=(16, 30),
        kinds=(K.YOUTH_MISSION, K.ASSOCIATION),
    ),
    Archetype(
        "Club de recherche d'emploi seniors",
        "atelier",
        (
            "trouver-un-emploi--faire-des-candidatures-spontanees",
            "preparer-sa-candidature--developper-son-reseau",
        ),
        publics=("seniors", "demandeurs-emploi"),
        ages=(50, None),
        kinds=(K.PES, K.PRIVATE_PROVIDER),
    ),
    Archetype(
        "Bilan de compétences",
        "accompagnement",
        ("choisir-un-metier--identifier-ses-points-forts-et-ses-competences",),
        publics=("actifs", "demandeurs-emploi"),
        modes=(tx.IN_PERSON, tx.REMOTE),
        kinds=(K.PRIVATE_PROVIDER, K.TRAINING_BODY),
    ),
]
SCHEDULES = (
    "Mo-Fr 09:00-12:00,13:30-17:00",
    "Mo,We,Fr 09:00-12:00",
    "Tu,Th 14:00-17:00",
    "Mo-Fr 08:30-12:30; PH off",
)
# Public that the gap commune leaves without any operator: a real gap to show.
GAP_PUBLIC = "personnes-exilees"


def _staff(organisation, role_set=CASE_ROLES):
    membership = (
        Membership.objects.filter(organisation=organisation, is_active=True, role__in=role_set)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _communes(territories) -> list[Territory]:
    return sorted((t for t in territories if t.level == Territory.Level.COMMUNE), key=lambda t: t.insee_code)


def build_demo_catalogue(
    rng_seed: int,
    organisations,
    territories,
    episodes=(),
    *,
    services_per_site: int = 14,
    referrals: int = 70,
    coordinator=None,
    today: datetime.date | None = None,
) -> dict[str, int]:
    """Create the demo catalogue. Returns counts of what was created."""
    rng = random.Random(rng_seed)
    today = today or timezone.localdate()
    organisations = sorted(organisations, key=lambda o: o.pk)
    communes = _communes(territories)
    sites_by_org = {o.pk: list(o.sites.select_related("commune").order_by("pk")) for o in organisations}
    sited = {s.commune_id for sites in sites_by_org.values() for s in sites}
    # The gap commune: one without any site if there is one, else the least populated.
    unsited = [c for c in communes if c.pk not in sited]
    gap_commune = (unsited or sorted(communes, key=lambda c: (c.population or 0, c.insee_code)))[0]
    counts = {"services": 0, "referrals": 0, "sessions": 0, "registrations": 0, "conventions": 0}
    services_by_org: dict[int, list[Service]] = {}

    with transaction.atomic():
        for organisation in organisations:
            by = _staff(organisation)
            fitting = [a for a in ARCHETYPES if a.kinds is None or organisation.kind in a.kinds]
            for site in sites_by_org[organisation.pk] or [None]:
                chosen = rng.sample(fitting, min(len(fitting), services_per_site))
                extra = rng.sample(ARCHETYPES, 4)
                for archetype in (
                    chosen + [a for a in extra if a not in chosen][: max(0, services_per_site - len(chosen))]
                ):
                    service = _make_service(
                        rng, archetype, organisation, site, communes, gap_commune, by, today
                    )
                    services_by_org.setdefault(organisation.pk, []).append(service)
                    counts["services"] += 1

        all_services = [s for services in services_by_org.values() for s in services]
        counts.update(_make_referrals(rng, episodes, all_services, referrals, today))
        counts.update(_make_workshops(rng, all_services, today))
        counts["conventions"] = _make_conventions(
            organisations, communes, gap_commune, services_by_org, coordinator, today
        )
    return counts


def _make_service(rng, archetype: Archetype, organisation, site, communes, gap_commune, by, today) -> Service:
    commune = site.commune if site else organisation.territory
    publics = list(archetype.publics)
    zone = [commune] if commune.level == Territory.Level.COMMUNE else []
    neighbours = [c for c in communes if c.pk != commune.pk and c.pk != gap_commune.pk]
    zone += rng.sample(neighbours, min(len(neighbours), rng.choice((0, 1, 2))))
    if commune.pk == gap_commune.pk and (tx.TOUS_PUBLICS in publics or GAP_PUBLIC in publics):
        publics = ["demandeurs-emploi"]  # keep the gap real: nobody serves GAP_PUBLIC there
    frequency = rng.choice((90, 180, 365))
    fields = {
        "name": archetype.name,
        "description": (
            f"{archetype.name} proposé par {organisation.name}"
            f"{' à ' + commune.name if commune else ''}. Entretien préalable avec un·e conseiller·ère, "
            "puis séances adaptées au rythme de chacun·e."
        ),
        "type": archetype.type,
        "thematiques": list(archetype.thematiques),
        "publics": publics,
        "statuses": list(archetype.statuses),
        "min_age": archetype.ages[0],
        "max_age": archetype.ages[1],
        "reserved_for": list(archetype.reserved_for),
        "barriers": tx.barriers_for_thematiques(list(archetype.thematiques)),
        "modes_accueil": list(archetype.modes),
        "at_home": archetype.at_home,
        "capacity": rng.choice((None, 10, 20, 40)),
        "schedule": rng.choice(SCHEDULES),
        "frais": "gratuit" if rng.random() < 0.9 else "payant",
        "contact_name": "Accueil",
        "phone": organisation.phone,
        "email": organisation.email,
        "modes_mobilisation": ["envoyer-un-courriel", "telephoner"],
        "mobilisable_par": ["professionnels", "usagers"] if rng.random() < 0.6 else ["professionnels"],
        "update_frequency_days": frequency,
        # About one service in six is overdue for its update: the reminders have work to do.
        "updated_on": today - datetime.timedelta(days=rng.randint(0, int(frequency * 1.2))),
        "site": site,
    }
    if by is not None:
        return actions.create_service(by=by, organisation=organisation, territories=zone, **fields)
    # An organisation without staff in the demo: same fields, no actor to record.
    service = Service(organisation=organisation, **fields)
    actions._apply_site(service)
    service.eligibility_zone = sorted(t.insee_code for t in zone)
    service.save()
    service.territories.set(zone)
    return service


# Target state of each demo referral, in turn: every state appears.
REFERRAL_PLAN = [
    "proposed",
    "accepted",
    "refused",
    "expired",
    "started",
    "completed",
    "abandoned",
    "completed",
    "started",
]


def _make_referrals(rng, episodes, services, wanted: int, today) -> dict[str, int]:
    """Referrals proposed along each episode's history (after its start), each answer, start and
    end a few days or weeks after the previous step, every step through the action functions at
    its own moment; a step still to come leaves the referral in its state of today."""
    created = 0
    episodes = [e for e in episodes if e.ended_on is None and e.referent_id is not None]
    rng.shuffle(episodes)
    for index, episode in enumerate(episodes[:wanted]):
        candidates = [s for s in services if s.organisation_id != episode.organisation_id]
        target = REFERRAL_PLAN[index % len(REFERRAL_PLAN)]
        if not candidates:
            continue
        service = rng.choice(candidates)
        receiver = _staff(service.organisation)
        first = episode.started_on + datetime.timedelta(days=7)
        if target == "proposed" or receiver is None:
            first = max(first, today - datetime.timedelta(days=REFERRAL_EXPIRY_DAYS - 2))
            last = today
        elif target == "expired":
            last = today - datetime.timedelta(days=REFERRAL_EXPIRY_DAYS + 1)
        else:
            last = today - datetime.timedelta(days=3)
        if last < first:
            continue
        proposed = during_working_hours(
            first + datetime.timedelta(days=rng.randint(0, (last - first).days)), rng
        )
        try:
            with at(proposed):
                referral = actions.propose_referral(
                    episode,
                    by=episode.referent,
                    service=service,
                    shared_fields=["identity", "contact"] + (["barriers"] if rng.random() < 0.5 else []),
                    barriers=service.barriers[:1],
                    consent_given=True,
                    message="Personne motivée, disponible en semaine.",
                )
        except ValidationError:  # a demo person may already be referred to this service
            continue
        created += 1
        if target == "expired":
            expired = during_working_hours(referral.expires_on + datetime.timedelta(days=1), rng)
            with at(expired):
                actions.expire_referral(referral, by=None)
            continue
        if target == "proposed" or receiver is None:
            continue
        answered = later(proposed, rng, (1, 10))
        if answered is None:
            continue
        with at(answered):
            if target == "refused":
                actions.refuse_referral(referral, by=receiver, reason=rng.choice(RefusalReason.values))
                continue
            referral = actions.accept_referral(referral, by=receiver)
        if target == "accepted" or (started := later(answered, rng, (2, 14))) is None:
            continue
        with at(started):
            referral = actions.start_referral(referral, by=receiver)
        if target == "started" or (ended := later(started, rng, (14, 60))) is None:
            continue
        with at(ended):
            if target == "completed":
                actions.complete_referral(
                    referral, by=receiver, outcome=rng.choice(ReferralOutcome.values[:5])
                )
            else:
                actions.abandon_referral(referral, by=receiver, outcome=ReferralOutcome.DROPPED_OUT)
    return {"referrals": created}


def _make_workshops(rng, services, today) -> dict[str, int]:
    sessions = registrations = 0
    workshops = [s for s in services if s.type == "atelier"][:12]
    for service in workshops:
        by = _staff(service.organisation)
        if by is None:
            continue
        for week in (1, 2):
            start = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0) + datetime.timedelta(
                days=7 * week
            )
            session = actions.schedule_workshop_session(
                service, by=by, starts_at=start, capacity=rng.choice((2, 8, 12)), title=service.name
            )
            sessions += 1
            for referral in service.referrals.filter(status__in=["accepted", "started"])[:3]:
                actions.register_for_workshop(session, by=by, person=referral.person, referral=referral)
                registrations += 1
    return {"sessions": sessions, "registrations": registrations}


def _make_conventions(organisations, communes, gap_commune, services_by_org, coordinator, today) -> int:
    coordinator = coordinator or next(
        (u for o in organisations if (u := _staff(o, {Role.COORDINATOR})) is not None), None
    )
    if coordinator is None or not communes:
        return 0
    by_kind = {}
    for organisation in organisations:
        by_kind.setdefault(organisation.kind, []).append(organisation)
    covered = [c for c in communes if c.pk != gap_commune.pk]
    start = today - datetime.timedelta(days=400)
    created = 0
    plans = [
        # Youth: the youth mission and the PES agencies both declare young people: an overlap.
        (
            "Accompagnement des jeunes 16-25 ans",
            by_kind.get(K.YOUTH_MISSION, []) + by_kind.get(K.PES, [])[:1],
            ["jeunes"],
        ),
        (
            "Accompagnement global des allocataires du RSA",
            by_kind.get(K.LOCAL_AUTHORITY, []) + by_kind.get(K.PES, []),
            ["beneficiaires-des-minimas-sociaux"],
        ),
        (
            "Emploi des personnes handicapées",
            by_kind.get(K.DISABILITY_OPERATOR, []) + by_kind.get(K.PES, [])[:1],
            ["personnes-en-situation-de-handicap"],
        ),
        (
            "Évolution professionnelle des actifs",
            by_kind.get(K.PRIVATE_PROVIDER, []) + by_kind.get(K.TRAINING_BODY, []),
            ["actifs"],
        ),
    ]
    for title, signatories, publics in plans:
        if not signatories:
            continue
        services = [s for o in signatories for s in services_by_org.get(o.pk, [])][:5]
        actions.create_convention(
            by=coordinator,
            title=title,
            organisations=signatories,
            publics=publics,
            territories=covered,
            services=services,
            start_on=start,
            end_on=today + datetime.timedelta(days=700),
            referral_rules="Orientation par la plateforme ; réponse sous 10 jours ouvrés ; bilan partagé à 3 mois.",
            referral_rules_data={"answer_within_days": 10, "review_after_months": 3},
        )
        created += 1
    return created
