""" "Something is broken" (the incident form) asks which service: an open outage on it is named
on the form, and the request joins the outage instead of opening a ticket."""

from __future__ import annotations

from sqlalchemy import select

from kb.models import Escalation
from kb.outages.service import declare
from tests.conftest import csrf_token

INCIDENT = {
    "summary": "Mail to suppliers is not arriving",
    "requester_name": "Robin Diaz",
    "requester_email": "robin@example.org",
    "impact": "low",
    "urgency": "medium",
}


def _outage(kb, service: str = "email") -> int:
    with kb.session() as session:
        outage = declare(
            session,
            kb,
            actor="technician@example.org",
            service=service,
            title="E-mail delivery delayed",
            user_message="Mail may arrive up to an hour late.",
        )
        session.commit()
        return outage.id


def test_the_form_names_the_open_outage_on_its_service(client, kb) -> None:
    _outage(kb)
    page = client.get("/escalations/new").get_data(as_text=True)
    assert "Email (known problem now)" in page
    assert 'data-outage-service="email" hidden' in page  # shown once email is chosen
    chosen = client.get("/escalations/new?service=email").get_data(as_text=True)
    assert 'data-outage-service="email">' in chosen
    assert "E-mail delivery delayed" in chosen


def test_without_an_outage_there_is_no_notice(client) -> None:
    page = client.get("/escalations/new").get_data(as_text=True)
    assert 'name="service"' in page and "data-outage-service=" not in page


def test_a_report_on_a_service_with_an_outage_joins_it(client, kb) -> None:
    outage_id = _outage(kb)
    response = client.post(
        "/escalations/new",
        data={**INCIDENT, "service": "email", "csrf_token": csrf_token(client, "/escalations/new")},
    )
    assert response.status_code == 302
    with kb.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.status, escalation.outage_id) == ("attached", outage_id)
        assert escalation.kind == "incident"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/outages/{outage_id}">known outage</a>' in page


def test_a_report_on_another_service_gets_its_own_ticket(client, kb) -> None:
    _outage(kb)
    response = client.post(
        "/escalations/new",
        data={
            **INCIDENT,
            "service": "printing",
            "csrf_token": csrf_token(client, "/escalations/new"),
        },
    )
    assert response.status_code == 302
    with kb.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.outage_id is None and escalation.service == "printing"


def test_a_service_not_in_the_catalogue_is_refused(client, kb) -> None:
    response = client.post(
        "/escalations/new",
        data={
            **INCIDENT,
            "service": "teleportation",
            "csrf_token": csrf_token(client, "/escalations/new"),
        },
    )
    assert response.status_code == 422
    assert "choose a service from the list" in response.get_data(as_text=True)
    with kb.session() as session:
        assert session.scalars(select(Escalation)).first() is None
