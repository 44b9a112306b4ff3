"""Locust users for bench/bench_load.py (run through it: it prepares the accounts file).

Counselors log in and open their portfolio, a person page, search their portfolio by name, record
contacts and plan appointments; API clients read persons and episodes with a bearer token. The
``bare`` request (/health/: one SELECT 1 through Django, JSON) is the baseline measured in the
same run. LOAD_MAX_REQUESTS stops the run after that many requests (besides --run-time).
"""

import datetime
import json
import os
import random

import gevent
from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())  # noqa: SIM115
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))
WAIT = float(os.environ.get("LOAD_WAIT", "0"))
_state = {"sent": 0, "environment": None}


@events.init.add_listener
def keep_environment(environment, **kwargs):
    _state["environment"] = environment


@events.request.add_listener
def stop_after_max_requests(**kwargs):
    _state["sent"] += 1
    if MAX_REQUESTS and _state["sent"] == MAX_REQUESTS:
        # Not from inside the request's own greenlet: the runner stops every user.
        gevent.spawn(_state["environment"].runner.quit)


def _no_redirect(response, expected=(302,)) -> None:
    if response.status_code not in expected:
        response.failure(f"status {response.status_code}")


class Counselor(HttpUser):
    weight = 8
    wait_time = between(WAIT, WAIT * 2) if WAIT else between(0, 0)

    def on_start(self):
        self.account = random.choice(ACCOUNTS["counselors"])
        self.client.get("/comptes/connexion/", name="login page")
        token = self.client.cookies.get("csrftoken")
        response = self.client.post(
            "/comptes/connexion/",
            {
                "username": self.account["username"],
                "password": ACCOUNTS["password"],
                "csrfmiddlewaretoken": token,
            },
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.account['username']} failed: {response.status_code}")

    def _csrf(self) -> dict:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    @task(4)
    def portfolio(self):
        self.client.get("/accompagnements/", name="portfolio")

    @task(4)
    def person_page(self):
        person = random.choice(self.account["people"])
        self.client.get(f"/personnes/{person}/", name="person page")

    @task(2)
    def search(self):
        self.client.get(f"/accompagnements/?q={random.choice(self.account['prefixes'])}", name="search")

    @task(1)
    def record_contact(self):
        episode = random.choice(self.account["episodes"])
        with self.client.post(
            f"/accompagnements/{episode}/contacts/",
            {
                "channel": "phone",
                "direction": "outbound",
                "occurred_at": datetime.datetime.now().strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "20",
                "summary": "",
                "section": "general",
            },
            headers=self._csrf(),
            name="record contact",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _no_redirect(response)

    @task(1)
    def plan_appointment(self):
        episode = random.choice(self.account["episodes"])
        when = datetime.datetime.now() + datetime.timedelta(days=random.randint(1, 30))
        with self.client.post(
            f"/accompagnements/{episode}/rendez-vous/",
            {
                "scheduled_at": when.strftime("%Y-%m-%dT10:00"),
                "channel": "in_person",
                "duration_minutes": "45",
                "purpose": "",
            },
            headers=self._csrf(),
            name="plan appointment",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _no_redirect(response)

    @task(1)
    def bare(self):
        self.client.get("/health/", name="bare (health)")


class ApiClient(HttpUser):
    weight = 2
    wait_time = between(WAIT, WAIT * 2) if WAIT else between(0, 0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {ACCOUNTS['api_token']}"
        self.account = ACCOUNTS["api_account"]

    @task(2)
    def person(self):
        self.client.get(f"/api/v1/persons/{random.choice(self.account['people'])}", name="api person")

    @task(2)
    def episode(self):
        self.client.get(f"/api/v1/episodes/{random.choice(self.account['episodes'])}", name="api episode")

    @task(1)
    def episodes(self):
        self.client.get("/api/v1/episodes", name="api episode list")
