"""``parcours demo``: load a realistic synthetic territory (see docs/demo.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from parcours.demo import reference as ref
from parcours.demo.extras import STEPS, build_extras
from parcours.demo.loader import delete_case_data, load_demo
from parcours.demo.portal import DEMO_PERSON_DESCRIPTION, DEMO_PERSON_LOGIN
from parcours.people.models import Person
from parcours.portal.models import PersonAccount

# Above this size the demo is a load for benchmarks: the extras (catalogue, offers, experiment,
# indicators, profiling) are built for territories people browse.
EXTRAS_MAX_PEOPLE = 20_000


class Command(BaseCommand):
    help = (
        "Charge un territoire de démonstration (métropole lilloise et bassin de Lens) : organisations, "
        "équipes, personnes accompagnées et 24 mois d'historique. Déterministe pour une graine donnée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1200, help="nombre de personnes (défaut : 1200)")
        parser.add_argument("--seed", type=int, default=2016, help="graine aléatoire (défaut : 2016)")
        parser.add_argument(
            "--reset", action="store_true", help="supprime d'abord toutes les personnes et leurs dossiers"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="ne fait rien si la base contient déjà des personnes"
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument(
            "--skip-extras",
            action="store_true",
            help="people and case files only (no catalogue, offers, experiment, indicators, profiling)",
        )
        parser.add_argument(
            "--logins", action="store_true", help="affiche les comptes de démonstration et sort"
        )

    def handle(
        self, *args, people: int, seed: int, reset: bool, if_empty: bool, interactive: bool, **options
    ):
        if options["logins"]:
            self._print_logins()
            return
        if people < 0:
            raise CommandError("--people doit être positif ou nul")
        verbosity = options["verbosity"]
        has_people = Person.objects.exists()
        if if_empty and has_people:
            if verbosity:
                self.stdout.write("Des personnes existent déjà : rien à charger (--if-empty).")
            return
        if has_people and not reset:
            raise CommandError(
                "La base contient déjà des personnes. Relancez avec --reset pour les remplacer, "
                "ou --if-empty pour ne rien faire."
            )
        if reset and has_people:
            if interactive:
                answer = input(
                    f"Toutes les personnes et leurs dossiers de la base « {connection.settings_dict['NAME']} » "
                    "vont être supprimés. Tapez « oui » pour continuer : "
                )
                if answer.strip().lower() not in {"oui", "yes"}:
                    raise CommandError("Abandon : rien n'a été supprimé.")
            delete_case_data()

        with tqdm(total=people, unit=" pers.", file=sys.stderr, disable=verbosity == 0, desc="démo") as bar:
            result = load_demo(people=people, seed=seed, progress=bar.update)
        if not options["skip_extras"] and people <= EXTRAS_MAX_PEOPLE:
            steps = tqdm(total=STEPS, file=sys.stderr, disable=verbosity == 0, desc="compléments")
            with steps:

                def report(message: str) -> None:
                    steps.set_postfix_str(message)
                    steps.update(1)

                build_extras(seed, report)

        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{result.people} personnes chargées en {result.seconds:.1f} s (graine {seed})."
                )
            )
            for label, count in result.rows.items():
                self.stdout.write(f"  {label:<28} {count:>12,}".replace(",", " "))

    def _print_logins(self) -> None:
        self.stdout.write(f"Comptes de démonstration (mot de passe « {ref.DEMO_PASSWORD} ») :")
        for login in ref.DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<16} {login.description}")
        if PersonAccount.objects.filter(login=DEMO_PERSON_LOGIN).exists():
            self.stdout.write(f"  {DEMO_PERSON_LOGIN:<16} {DEMO_PERSON_DESCRIPTION}")
