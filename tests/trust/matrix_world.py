"""Objects in every state for the authorisation matrix, arranged once on a copy of the bundled
template instance: articles (public, internal, draft, in review, archived, live with an unpublished
draft), trees (public with technician wording, technician-only, unpublished), diagnostic sessions
(an anonymous visitor's, another person's technician session), an escalation with its ticket and
follow-up, an outage with a subscription, flags, a user and an API token.

Every hidden thing carries a unique marker word; the leak check looks for those words."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb import create_app
from kb.articles.feedback import flag_article
from kb.articles.revisions import get_article
from kb.auth.users import create_token, create_user, find_user
from kb.content import import_content
from kb.escalation.intake import EscalationRequest, create_escalation
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import (
    ArticleFlag,
    FollowUp,
    OutageSubscription,
    OutboxMessage,
    Ticket,
    TreeStepFlag,
    utcnow,
)
from kb.outages import service as outages
from kb.outbox import dispatch
from kb.requests.approvals import issue_link
from kb.requests.service import NewRequest, submit
from kb.requests.types import request_types
from kb.trees.graph import graph_from_data
from kb.trees.store import get_tree
from kb.trees.workflow import create_tree, transition
from tests.conftest import PASSWORD, AuthActions, _base_config, csrf_token
from tests.trees.trees import small, write_tree

# One marker word per hidden thing. Words, so search can find them (for those allowed).
MARKERS = {
    "internal article": "zqinternalmark",
    "draft article": "zqdraftmark",
    "article in review": "zqreviewmark",
    "archived article": "zqarchivedmark",
    "unpublished draft of a live article": "zqpendingmark",
    "technician tree": "zqtechtreemark",
    "technician wording of a public tree": "zqtechtextmark",
    "unpublished tree": "zqdrafttreemark",
    "archived tree": "zqarchivedtreemark",
    "own proposal": "zqownproposalmark",
    "another technician's proposal": "zqproposalmark",
    "another person's technician session": "zqsessionmark",
    "internal ticket note": "zqticketnotemark",
}
# The least role that may see each marker (authors and above see unpublished work).
MARKER_LEAST = {
    "internal article": "technician",
    "draft article": "author",
    "article in review": "author",
    "archived article": "author",
    "unpublished draft of a live article": "author",
    "technician tree": "technician",
    "technician wording of a public tree": "technician",
    "unpublished tree": "author",
    "archived tree": "author",
    "own proposal": "technician",  # the matrix's technician proposed it
    "another technician's proposal": "author",
    "another person's technician session": "technician",
    "internal ticket note": "technician",
}
SESSION_MARKER = MARKERS["another person's technician session"]
ROLES: tuple[str | None, ...] = (None, "requester", "technician", "author", "reviewer", "admin")

ARTICLE = """---
title: {title}
slug: {slug}
summary: {summary}
category: Printing
service: printing
audience: {audience}
status: {status}
tags: [matrix]
---

## Issue

{title} {marker}.

## Resolution

1. Restart the print spooler ({marker}).
"""


@dataclass
class World:
    """The arranged instance (a database file and its search index) and what is in it."""

    folder: Path
    values: dict[str, Any] = field(default_factory=dict)

    def copy_to(self, target: Path) -> Path:
        shutil.copytree(self.folder, target)
        return target


def matrix_config(instance: Path, every_plugin: bool = True) -> dict[str, Any]:
    config = {**_base_config(instance), "BASE_URL": "http://kb.test"}
    if every_plugin:  # plugins that add routes only when configured: their routes are checked too
        config.update(
            WEBHOOK_INBOUND_SECRET="matrix-webhook-secret",
            RT_URL="http://127.0.0.1:9/",
            RT_TOKEN="matrix-rt-token",
            RT_SCRIP_SECRET="matrix-rt-secret",
        )
    return config


def build_app(instance: Path, every_plugin: bool = True) -> Flask:
    return create_app(matrix_config(instance, every_plugin), instance_path=instance)


def login(app: Flask, role: str | None) -> FlaskClient:
    """A client signed in as ``role`` (or an address), or anonymous for None."""
    client = app.test_client()
    if role is not None:
        response = AuthActions(client).login(role)
        assert response.status_code == 302, f"{role} could not sign in"
    return client


def _article_files(folder: Path) -> None:
    folder.mkdir()
    specs = [
        ("mx-internal", "internal", "published", MARKERS["internal article"]),
        ("mx-draft", "public", "draft", MARKERS["draft article"]),
        ("mx-review", "public", "in_review", MARKERS["article in review"]),
        ("mx-archived", "public", "archived", MARKERS["archived article"]),
        ("mx-pending", "public", "published", "visible"),
    ]
    for slug, audience, status, marker in specs:
        (folder / f"{slug}.md").write_text(
            ARTICLE.format(
                slug=slug,
                title=f"Matrix {slug}",
                summary=f"Summary {marker}.",
                audience=audience,
                status=status,
                marker=marker,
            )
        )


def _tree_data() -> dict[str, dict[str, Any]]:
    public = small(id="mx-public-tree", title="Matrix public tree")
    for node in public["nodes"]:
        if node["id"] == "q_power":
            node["text_technician"] = (
                f"Check {{printer}} is powered {MARKERS['technician wording of a public tree']}."
            )
            node["script"] = f"Ask about {MARKERS['technician wording of a public tree']}."
    technician = small(
        id="mx-tech-tree",
        title=f"Matrix technician tree {MARKERS['technician tree']}",
        summary=f"Only for technicians {MARKERS['technician tree']}.",
        audience="technician",
    )
    draft = small(
        id="mx-draft-tree",
        title=f"Matrix unpublished tree {MARKERS['unpublished tree']}",
        summary=f"Not published {MARKERS['unpublished tree']}.",
    )
    archived = small(
        id="mx-archived-tree",
        title=f"Matrix archived tree {MARKERS['archived tree']}",
        summary=f"Retired {MARKERS['archived tree']}.",
    )
    return {"public": public, "technician": technician, "draft": draft, "archived": archived}


def arrange(folder: Path, template: Path) -> World:
    """Build the instance in ``folder`` from the bundled template database."""
    folder.mkdir(parents=True)
    shutil.copy(template, folder / "kb.sqlite3")
    if (template.parent / "index").is_dir():
        shutil.copytree(template.parent / "index", folder / "index")
    app = build_app(folder, every_plugin=False)  # the escalation becomes a local ticket
    kb = kb_state(app)
    values: dict[str, Any] = {}
    trees = _tree_data()
    with app.app_context(), kb.session() as session:
        _article_files(folder.parent / "matrix-articles")
        tree_folder = folder.parent / "matrix-trees"
        tree_folder.mkdir()
        write_tree(tree_folder, trees["public"])
        write_tree(tree_folder, trees["technician"])
        write_tree(tree_folder, trees["archived"])
        report = import_content(session, [folder.parent / "matrix-articles", tree_folder])
        assert not report.failed, report.error_lines
        author = find_user(session, "author@example.org")
        create_tree(session, kb, graph_from_data(trees["draft"]), author)
        reviewer = find_user(session, "reviewer@example.org")
        transition(session, get_tree(session, "mx-archived-tree"), "archive", reviewer)
        victim = create_user(session, "victim@example.org", PASSWORD, role="requester", name="Vic")
        create_user(session, "tech2@example.org", PASSWORD, role="technician", name="Tess")
        values["victim_token"] = create_token(session, victim, "matrix")
        values["user_id"] = victim.id
        session.commit()

    # An author's unpublished draft on top of the live mx-pending (through the API).
    author_client = login(app, "author")
    live = author_client.get("/api/v1/articles/mx-pending").get_json()
    body = {
        "title": "Matrix mx-pending",
        "summary": "Summary visible.",
        "category": "Printing",
        "service": "printing",
        "audience": "public",
        "tags": "matrix",
        "body": f"## Issue\n\n{MARKERS['unpublished draft of a live article']} idea.",
        "base_revision_id": live["revision_id"],
    }
    saved = author_client.put(
        "/api/v1/articles/mx-pending",
        json=body,
        headers={"X-CSRFToken": csrf_token(author_client, "/")},
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)

    # Proposals (new articles by technicians go to review): the matrix's technician's own, and
    # another technician's, which only its proposer and authors and above may see.
    for who, slug, marker in (
        ("technician", "mx-own-proposal", "own proposal"),
        ("tech2@example.org", "mx-proposal", "another technician's proposal"),
    ):
        proposer = login(app, who)
        proposed = proposer.post(
            "/api/v1/articles",
            json={**body, "slug": slug, "title": f"Matrix {slug}", "body": MARKERS[marker]},
            headers={"X-CSRFToken": csrf_token(proposer, "/")},
        )
        assert proposed.status_code == 201, proposed.get_data(as_text=True)
        assert proposed.get_json()["status"] == "in_review"

    # Sessions: an anonymous visitor's self-service session on the public tree, and another
    # person's (a technician's) technician session with notes.
    anonymous = app.test_client()
    headers = {"X-CSRFToken": csrf_token(anonymous, "/trees/mx-public-tree")}
    started = anonymous.post("/api/v1/sessions", json={"tree": "mx-public-tree"}, headers=headers)
    assert started.status_code == 201, started.get_data(as_text=True)
    values["anon_session"] = started.get_json()["id"]
    anonymous.post(
        f"/api/v1/sessions/{values['anon_session']}/answer",
        json={"value": "Floor3"},
        headers=headers,
    )
    technician = login(app, "technician")
    headers = {"X-CSRFToken": csrf_token(technician, "/")}
    started = technician.post(
        "/api/v1/sessions", json={"tree": "mx-tech-tree", "mode": "technician"}, headers=headers
    )
    assert started.status_code == 201, started.get_data(as_text=True)
    values["tech_session"] = started.get_json()["id"]
    victim = login(app, "victim@example.org")
    headers_victim = {"X-CSRFToken": csrf_token(victim, "/")}
    started = victim.post(
        "/api/v1/sessions", json={"tree": "mx-public-tree"}, headers=headers_victim
    )
    assert started.status_code == 201, started.get_data(as_text=True)
    values["victim_session"] = started.get_json()["id"]
    answered = technician.post(
        f"/api/v1/sessions/{values['tech_session']}/answer",
        json={"value": "Floor4", "notes": f"Caller said {SESSION_MARKER}"},
        headers=headers,
    )
    assert answered.status_code == 200, answered.get_data(as_text=True)
    # The requester's and the technician's sessions end in escalation ("This didn't help"), so
    # the escalation form can be filled from them; the anonymous visitor's stays active.
    for client, token, heads in (
        (victim, values["victim_session"], headers_victim),
        (technician, values["tech_session"], headers),
    ):
        ended = client.post(f"/api/v1/sessions/{token}/didnt-help", json={}, headers=heads)
        assert ended.status_code == 200, ended.get_data(as_text=True)

    with app.app_context(), kb.session() as session:
        escalation = create_escalation(
            session,
            kb,
            EscalationRequest(
                summary="Printer on floor 3 is offline",
                requester_name="Pat Doe",
                requester_email="pat@example.org",
                group="desktop-support",
                impact="medium",
                urgency="high",
                service="printing",
                transcript_text="1. Restarted: no change",
                articles_viewed=["mx-pending"],
            ),
        )
        values["public_id"] = escalation.public_id
        outage = outages.declare(
            session,
            kb,
            actor="technician@example.org",
            service="email",
            title="Mail is down",
            user_message="We are on it.",
        )
        values["outage_id"] = outage.id
        # Another person's escalation attached to the outage (technicians see it on its page).
        attached = create_escalation(
            session,
            kb,
            EscalationRequest(
                summary="No mail since nine",
                requester_name="Sam Roe",
                requester_email="sam.roe@example.org",
                group="service-desk",
                impact="low",
                urgency="low",
                service="email",
            ),
        )
        assert attached.outage_id == outage.id
        values["attached_public_id"] = attached.public_id
        subscription = outages.subscribe(session, kb, outage, "sub@example.org")
        values["unsubscribe_token"] = subscription.token
        values["confirm_link"] = outages._serializer(kb.config).dumps(
            {"id": subscription.id, "email": subscription.email}
        )
        # Someone's software request waiting for their manager, and the manager's link.
        request = submit(
            session,
            kb,
            request_types(kb)["software"],
            NewRequest(
                requester_name="Kim Lee",
                requester_email="kim.lee@example.org",
                approver_email="boss.lee@example.org",
                answers={"name": "Inkscape", "reason": "Plans"},
            ),
        )
        values["request_public_id"] = request.public_id
        link = issue_link(session, kb, request.approval, "New software")
        values["approval_link"] = link.rpartition("/")[2]
        requester = find_user(session, "requester@example.org")
        for slug in ("change-password", "mx-internal", "mx-draft", "mx-review", "mx-archived",
                     "mx-pending", "mx-own-proposal", "mx-proposal"):  # fmt: skip
            article = get_article(session, slug)
            if article.is_live and article.audience == "public":
                flag = flag_article(session, article, requester, "outdated", "old")
            else:  # flagged while it was live and public
                flag = ArticleFlag(article_id=article.id, user_id=requester.id, reason="outdated")
                session.add(flag)
                session.flush()
            values.setdefault("flag_id", {})[slug] = flag.id
        # A step flag on every tree (raised while each was live, or tried out as a draft).
        for tree_id in ("mx-public-tree", "mx-tech-tree", "mx-draft-tree", "mx-archived-tree"):
            step_flag = TreeStepFlag(
                tree_id=tree_id,
                node_id="q_power",
                path=["ask_name", "q_power"],
                reason="wrong",
                comment="The light is elsewhere",
            )
            session.add(step_flag)
            session.flush()
            values.setdefault("step_flag_id", {})[tree_id] = step_flag.id
        session.commit()
    dispatch(kb)
    with app.app_context(), kb.session() as session:
        values["ticket_id"] = session.scalar(select(Ticket.id))
        values["message_id"] = session.scalar(select(OutboxMessage.id))
        from kb.auth.users import tokens_of

        values["token_id"] = tokens_of(session, find_user(session, "victim@example.org"))[0].id
    page = csrf_token(technician, f"/queue/{values['ticket_id']}")
    noted = technician.post(
        f"/queue/{values['ticket_id']}/comment",
        data={"csrf_token": page, "body": f"Internal: {MARKERS['internal ticket note']}"},
    )
    assert noted.status_code in (302, 303), noted.get_data(as_text=True)
    resolved = technician.post(
        f"/queue/{values['ticket_id']}/resolve",
        data={
            "csrf_token": page,
            "resolution": "Restarted the spooler.",
            "articles": "mx-pending",
            "followup_days": "2",
            "followup_text": "Is the printer still working?",
        },
    )
    assert resolved.status_code in (302, 303), resolved.get_data(as_text=True)
    assert run_due(kb, now=utcnow() + timedelta(days=3)) == 1
    with app.app_context(), kb.session() as session:
        values["followup_token"] = session.scalar(select(FollowUp.token))
        assert session.scalar(select(OutageSubscription.id)) is not None
    kb.engine.dispose()
    return World(folder=folder, values=values)
