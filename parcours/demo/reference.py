"""Fixed reference data of the demo territory: real communes of the Lille metropolitan area and
the Lens mining basin (INSEE codes, postcodes, approximate coordinates and populations), fictional
organisations and the demo logins. Everything here is small and created through the ORM."""

from dataclasses import dataclass

DEMO_PASSWORD = "parcours-demo"  # noqa: S105 - documented demo password, printed by the command

# (INSEE code, name, postcode, latitude, longitude, population, département code, share of people
# living in a priority neighbourhood (QPV)). Codes are the official INSEE commune codes; QPV shares
# are plausible orders of magnitude (Roubaix is among the French communes with the largest share of
# inhabitants in QPV), not official figures.
REGION = ("32", "Hauts-de-France", 5_990_000)
DEPARTEMENTS = {"59": ("Nord", 2_610_000), "62": ("Pas-de-Calais", 1_460_000)}
COMMUNES = [
    ("59350", "Lille", "59000", 50.6292, 3.0573, 236_000, "59", 0.30),
    ("59512", "Roubaix", "59100", 50.6901, 3.1817, 98_800, "59", 0.55),
    ("59599", "Tourcoing", "59200", 50.7239, 3.1612, 98_700, "59", 0.35),
    ("59009", "Villeneuve-d'Ascq", "59650", 50.6233, 3.1450, 62_000, "59", 0.15),
    ("59650", "Wattrelos", "59150", 50.7018, 3.2150, 40_500, "59", 0.30),
    ("59163", "Croix", "59170", 50.6783, 3.1497, 21_000, "59", 0.20),
    ("59328", "Lambersart", "59130", 50.6500, 3.0250, 27_400, "59", 0.05),
    ("59017", "Armentières", "59280", 50.6883, 2.8808, 25_000, "59", 0.15),
    ("62498", "Lens", "62300", 50.4320, 2.8333, 31_600, "62", 0.35),
    ("62510", "Liévin", "62800", 50.4228, 2.7786, 30_500, "62", 0.30),
]
COMMUNE_INDEX = {c[1]: i for i, c in enumerate(COMMUNES)}
# Their other official postcodes (La Poste): a commune may have several.
OTHER_POSTCODES = {"59350": ("59160", "59260", "59777", "59800"), "59009": ("59491",)}

# Share of the demo's people living in each commune (population-weighted, Lille area first).
COMMUNE_WEIGHTS = [0.34, 0.14, 0.12, 0.08, 0.05, 0.03, 0.04, 0.03, 0.10, 0.07]


@dataclass(frozen=True)
class OrgSpec:
    key: str  # short slug used in generated usernames
    name: str
    kind: str
    commune: str
    sites: tuple[tuple[str, str, str], ...]  # (name, address, commune)
    caseload: int  # target open episodes per counselor, used to size the staff
    serves_departement: str = ""


# Organisations are fictional, except that their kinds and names follow the real networks
# (France Travail agencies, Mission locale, Cap emploi, a département's insertion service).
ORGANISATIONS = [
    OrgSpec(
        "ft-lille",
        "France Travail — Agence Lille Centre",
        "pes",
        "Lille",
        (
            ("Agence Lille Centre", "12 rue Nationale", "Lille"),
            ("Point relais Lambersart", "3 avenue de l'Hippodrome", "Lambersart"),
        ),
        110,
    ),
    OrgSpec(
        "ft-roubaix",
        "France Travail — Agence Roubaix",
        "pes",
        "Roubaix",
        (
            ("Agence Roubaix", "45 boulevard Gambetta", "Roubaix"),
            ("Agence Tourcoing", "8 rue de Lille", "Tourcoing"),
        ),
        110,
    ),
    OrgSpec(
        "ft-lens",
        "France Travail — Agence Lens",
        "pes",
        "Lens",
        (("Agence Lens", "20 rue de la Gare", "Lens"),),
        110,
    ),
    OrgSpec(
        "ml-metropole",
        "Mission locale de la Métropole",
        "youth_mission",
        "Lille",
        (
            ("Antenne Lille Moulins", "5 rue d'Arras", "Lille"),
            ("Antenne Roubaix", "2 place de la Liberté", "Roubaix"),
            ("Antenne Villeneuve-d'Ascq", "1 chemin du Pont", "Villeneuve-d'Ascq"),
        ),
        90,
    ),
    OrgSpec(
        "cap-nord",
        "Cap emploi Nord",
        "disability_operator",
        "Lille",
        (("Cap emploi Lille", "30 rue Solférino", "Lille"),),
        80,
    ),
    OrgSpec(
        "asso-tremplin",
        "Association Tremplin Emploi Lens-Liévin",
        "association",
        "Lens",
        (("Tremplin Lens", "14 rue Paul Bert", "Lens"), ("Tremplin Liévin", "6 rue Thiers", "Liévin")),
        60,
    ),
    OrgSpec(
        "trajectoires",
        "Trajectoires Conseil",
        "private_provider",
        "Villeneuve-d'Ascq",
        (
            ("Trajectoires Villeneuve-d'Ascq", "40 avenue du Pont de Bois", "Villeneuve-d'Ascq"),
            ("Trajectoires Roubaix", "9 rue du Grand Chemin", "Roubaix"),
        ),
        70,
    ),
    OrgSpec(
        "cf-flandres",
        "Centre de formation des Flandres",
        "training_body",
        "Tourcoing",
        (("Campus Tourcoing", "17 rue des Ursulines", "Tourcoing"),),
        40,
    ),
    OrgSpec(
        "dept-nord",
        "Département du Nord — Direction de l'insertion",
        "local_authority",
        "Lille",
        (
            ("UTPAS Lille", "51 rue Gustave Delory", "Lille"),
            ("UTPAS Roubaix", "25 rue de l'Épeule", "Roubaix"),
        ),
        80,
        serves_departement="59",
    ),
]
ORG_INDEX = {o.key: i for i, o in enumerate(ORGANISATIONS)}
FT_LILLE, FT_ROUBAIX, FT_LENS, MISSION_LOCALE, CAP_EMPLOI, ASSOCIATION, PRIVATE, TRAINING, DEPARTEMENT = (
    range(9)
)

# Which France Travail agency serves each commune (index in COMMUNES).
PES_BY_COMMUNE = [
    FT_LILLE,
    FT_ROUBAIX,
    FT_ROUBAIX,
    FT_LILLE,
    FT_ROUBAIX,
    FT_ROUBAIX,
    FT_LILLE,
    FT_LILLE,
    FT_LENS,
    FT_LENS,
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str
    organisation: str  # OrgSpec.key
    description: str
    is_staff: bool = False
    is_superuser: bool = False


# Fixed demo logins, all with DEMO_PASSWORD. A demo counselor listed here is the first counselor
# of their organisation and gets a portfolio of about DEMO_PORTFOLIO_TARGET people.
DEMO_LOGINS = [
    DemoLogin(
        "conseillere", "Camille", "Lefebvre", "counselor", "ft-lille", "conseillère France Travail (Lille)"
    ),
    DemoLogin("conseiller2", "Karim", "Benali", "counselor", "ft-lille", "conseiller France Travail (Lille)"),
    DemoLogin(
        "conseillere.ml", "Julie", "Vandamme", "counselor", "ml-metropole", "conseillère Mission locale"
    ),
    DemoLogin(
        "manager", "Sophie", "Delattre", "manager", "ft-lille", "responsable d'équipe France Travail (Lille)"
    ),
    DemoLogin("analyste", "Thomas", "Declercq", "analyst", "ft-lille", "analyste / évaluateur"),
    DemoLogin(
        "coordinateur",
        "Nadia",
        "Haddad",
        "coordinator",
        "dept-nord",
        "coordinateur territorial (Département)",
    ),
    DemoLogin(
        "admin",
        "Paul",
        "Mercier",
        "administrator",
        "ft-lille",
        "administrateur (site d'administration)",
        True,
        True,
    ),
]

# Names drawn for people and generated staff: common first and last names in the Nord, with
# the diversity of the metropolitan area.
FEMALE_FIRST_NAMES = [
    "Emma",
    "Léa",
    "Chloé",
    "Manon",
    "Camille",
    "Inès",
    "Sarah",
    "Lina",
    "Jade",
    "Louise",
    "Zoé",
    "Lola",
    "Clara",
    "Anaïs",
    "Julie",
    "Laura",
    "Marie",
    "Pauline",
    "Céline",
    "Nathalie",
    "Sandrine",
    "Isabelle",
    "Stéphanie",
    "Aurélie",
    "Élodie",
    "Émilie",
    "Sabrina",
    "Nadia",
    "Samira",
    "Fatima",
    "Yasmine",
    "Amina",
    "Khadija",
    "Leïla",
    "Sofia",
    "Océane",
    "Mélanie",
    "Audrey",
    "Virginie",
    "Christelle",
    "Valérie",
    "Sylvie",
    "Martine",
    "Brigitte",
    "Coralie",
    "Justine",
    "Morgane",
    "Charlotte",
    "Alice",
    "Maëlys",
    "Aïcha",
    "Mariam",
    "Fatou",
    "Awa",
    "Nour",
]
MALE_FIRST_NAMES = [
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Gabriel",
    "Enzo",
    "Jules",
    "Théo",
    "Tom",
    "Mathis",
    "Maxime",
    "Thomas",
    "Nicolas",
    "Julien",
    "Kevin",
    "Alexandre",
    "Romain",
    "Anthony",
    "Jérémy",
    "Sébastien",
    "Christophe",
    "Frédéric",
    "Laurent",
    "Stéphane",
    "David",
    "Olivier",
    "Pascal",
    "Mohamed",
    "Karim",
    "Mehdi",
    "Yassine",
    "Rayan",
    "Adam",
    "Bilal",
    "Sofiane",
    "Nordine",
    "Samir",
    "Rachid",
    "Moussa",
    "Mamadou",
    "Ibrahim",
    "Yanis",
    "Dylan",
    "Florian",
    "Quentin",
    "Benoît",
    "Arnaud",
    "Guillaume",
    "Vincent",
    "Patrick",
    "Didier",
    "Thierry",
    "Bruno",
    "Ali",
    "Omar",
]
LAST_NAMES = [
    "Martin",
    "Dubois",
    "Leroy",
    "Lefebvre",
    "Lefèvre",
    "Dupont",
    "Lemaire",
    "Vandenberghe",
    "Delattre",
    "Deschamps",
    "Declercq",
    "Dumont",
    "Lambert",
    "Mercier",
    "Durand",
    "Petit",
    "Moreau",
    "Lemoine",
    "Caron",
    "Duhamel",
    "Delcroix",
    "Desmet",
    "Vandamme",
    "Verhaeghe",
    "Vanneste",
    "Decock",
    "Lecomte",
    "Lebrun",
    "Bernard",
    "Carpentier",
    "Delannoy",
    "Dufour",
    "Roussel",
    "Fontaine",
    "Leclercq",
    "Hennebelle",
    "Lecoq",
    "Poulain",
    "Boulanger",
    "Mahieu",
    "Bouchez",
    "Degand",
    "Wattrelot",
    "Masquelier",
    "Coppens",
    "Devos",
    "Dewaele",
    "Haddad",
    "Benali",
    "Bensaïd",
    "Boukhari",
    "Chaouch",
    "Mansouri",
    "Belkacem",
    "Amrani",
    "Brahimi",
    "Meziane",
    "Ouali",
    "Saïdi",
    "Traoré",
    "Diallo",
    "Koné",
    "Camara",
    "Ndiaye",
    "Diop",
    "Sylla",
    "Kaya",
    "Yilmaz",
    "Nguyen",
    "Tran",
    "Da Silva",
    "Ferreira",
    "Pereira",
    "Lopes",
    "Santos",
    "Kowalski",
    "Nowak",
    "Wisniewski",
    "Lewandowski",
    "Rossi",
    "Bianchi",
    "Garcia",
    "Martinez",
    "Lopez",
    "Sanchez",
    "Fernandez",
]
STREETS = (
    "rue de la République",
    "rue Jean Jaurès",
    "rue Victor Hugo",
    "rue Pasteur",
    "avenue de la Gare",
    "rue du Général de Gaulle",
    "rue Gambetta",
    "rue Carnot",
    "rue Jules Guesde",
    "rue Roger Salengro",
    "rue de Lille",
    "rue de Paris",
    "boulevard de la Liberté",
    "rue Pierre Mauroy",
    "rue des Écoles",
    "rue du Moulin",
    "rue Émile Zola",
    "allée des Tilleuls",
    "résidence les Peupliers",
    "rue Léon Blum",
)
