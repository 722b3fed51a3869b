"""Dispatch throughput: N due surveys, half SMS to a fake Twilio answering after 50 ms, half
e-mail to a local SMTP server (aiosmtpd); both servers run in a separate process.

Usage: python bench/dispatch.py [--surveys 10000] [--concurrency 16] [--database postgresql]
The ideal for the concurrency counts only the 50 ms Twilio latency (e-mail taken as free):
ideal = concurrency / (0.05 s x SMS share). The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.common import emit, fresh_database, overrides
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.identifiers import identifier_hash
from survey.models import (
    Actor,
    Case,
    Contact,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)
from survey.sampling.draw import local_date
from survey.startup import start_context
from tests.plugins.delivery import TWILIO_SID, TWILIO_TOKEN

TWILIO_LATENCY = 0.05


def _servers(pipe: Connection) -> None:
    """Child process: the fake Twilio and an SMTP server; answers 'stats' with what arrived."""
    from aiosmtpd.controller import Controller

    from tests.plugins.delivery import FakeTwilio, free_port

    twilio = FakeTwilio()
    twilio.delay = TWILIO_LATENCY
    threading.Thread(target=twilio.serve_forever, daemon=True).start()
    recipients: Counter[str] = Counter()

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            recipients.update(envelope.rcpt_tos)
            return "250 OK"

    port = free_port()
    smtp = Controller(Counting(), hostname="127.0.0.1", port=port)
    smtp.start()
    pipe.send((twilio.url, port))
    while pipe.recv() == "stats":
        per_survey = twilio.per_survey()
        pipe.send(
            {
                "sms_requests": sum(per_survey.values()),
                "sms_duplicates": sum(1 for n in per_survey.values() if n > 1),
                "emails": sum(recipients.values()),
                "email_duplicates": sum(1 for n in recipients.values() if n > 1),
            }
        )
    smtp.stop()
    twilio.shutdown()


def seed_due_surveys(ctx: Context, count: int) -> None:
    """`count` scheduled, due surveys (half SMS, half e-mail), inserted in bulk."""
    now = datetime.now(UTC)
    closed = now - timedelta(hours=2)
    key = ctx.settings.identifier_key
    with ctx.session() as session:
        actor = Actor(name="bench")
        session.add(actor)
        session.flush()
        contacts, cases, decisions = [], [], []
        for n in range(count):
            sms = n % 2 == 0
            ref = f"B{n}"
            cases.append(
                {
                    "case_ref": ref,
                    "last_closed_at": closed,
                    "last_closed_local_date": local_date(closed),
                    "contact_count": 1,
                }
            )
            contacts.append(
                {
                    "id": n + 1,
                    "actor_id": actor.id,
                    "external_id": ref,
                    "case_ref": ref,
                    "channel": "phone" if sms else "email",
                    "closed_at": closed,
                    "closed_local_date": local_date(closed),
                    "received_at": closed,
                    "customer_phone": f"+4673{n:07d}" if sms else None,
                    "customer_email": None if sms else f"kund{n}@example.se",
                    "customer_language": "sv" if n % 3 else "en",
                    "content_hash": ref,
                }
            )
            decisions.append(
                {
                    "id": n + 1,
                    "case_ref": ref,
                    "last_closed_at": closed,
                    "drawn": True,
                    "reason": "selected",
                    "rate": "1",
                    "key_fingerprint": "0" * 64,
                }
            )
        session.execute(insert(Case), cases)
        session.execute(insert(Contact), contacts)
        session.execute(insert(SamplingDecision), decisions)
        surveys, identifiers = [], []
        local = closed.date()
        for n, contact in enumerate(contacts):
            sms = contact["customer_phone"] is not None
            address = contact["customer_phone"] or contact["customer_email"]
            surveys.append(
                {
                    "id": n + 1,
                    "case_ref": contact["case_ref"],
                    "decision_id": n + 1,
                    "contact_id": n + 1,
                    "actor_id": actor.id,
                    "channel": contact["channel"],
                    "language": contact["customer_language"],
                    "send_channel": "sms" if sms else "email",
                    "to_address": address,
                    "closed_at": closed,
                    "closed_local_date": local,
                    "closed_week": "2026-W01",
                    "closed_month": "2026-01",
                    "send_at": now - timedelta(minutes=1),
                    "first_send_at": now - timedelta(minutes=1),
                }
            )
            kind = "phone" if sms else "email"
            identifiers.append(
                {
                    "survey_id": n + 1,
                    "identifier_hash": identifier_hash(key, kind, address),
                    "kind": kind,
                    "closed_at": closed,
                }
            )
        session.execute(insert(Survey), surveys)
        session.execute(insert(SurveyIdentifier), identifiers)
        session.commit()


def bench(kind: str, count: int, concurrency: int) -> dict[str, Any]:
    parent, child = mp.Pipe()
    servers = mp.get_context("spawn").Process(target=_servers, args=(child,), daemon=True)
    servers.start()
    twilio_url, smtp_port = parent.recv()
    try:
        with fresh_database(kind) as url, tempfile.TemporaryDirectory() as instance:
            settings = overrides(
                url,
                Path(instance),
                quiet_hours="",
                sms_backend="twilio",
                email_backend="smtp",
                twilio_account_sid=TWILIO_SID,
                twilio_auth_token=TWILIO_TOKEN,
                twilio_messaging_service_sid="MG" + "0" * 32,
                twilio_base_url=twilio_url,
                smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                sms_rate_per_second=100000.0,
                email_rate_per_second=100000.0,
                dispatch_concurrency=concurrency,
            )
            ctx = start_context(settings)
            seed_due_surveys(ctx, count)
            started = time.perf_counter()
            runs = 0
            totals: Counter[str] = Counter()
            while True:
                counts = dispatch_due_surveys(ctx, batch_limit=2500)
                runs += 1
                totals.update({k: v for k, v in counts.items() if k != "unknown_after_lease"})
                if not counts.get("sent") and not counts.get("retry"):
                    break
            seconds = time.perf_counter() - started
            with ctx.session() as session:
                states = dict(
                    session.execute(
                        select(Survey.delivery_status, func.count()).group_by(
                            Survey.delivery_status
                        )
                    ).all()
                )
                errors = dict(
                    session.execute(
                        select(Survey.last_error, func.count())
                        .where(Survey.last_error.is_not(None))  # type: ignore[union-attr]
                        .group_by(Survey.last_error)
                    ).all()
                )
            ctx.engine.dispose()
        parent.send("stats")
        stats = parent.recv()
    finally:
        parent.send("stop")
        servers.join(timeout=10)
    rate = totals["sent"] / seconds
    ideal = concurrency / (TWILIO_LATENCY * 0.5)
    return {
        "database": kind,
        "surveys": count,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "dispatch_runs": runs,
        "messages_per_second": round(rate, 1),
        "ideal_messages_per_second": round(ideal, 1),
        "ratio_to_ideal": round(rate / ideal, 3),
        "states": states,
        "errors": errors,
        "outcomes": dict(totals),
        **stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--surveys", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    result = bench(args.database, args.surveys, args.concurrency)
    print(
        f"{result['database']}: {result['messages_per_second']} messages/s "
        f"({result['ratio_to_ideal']:.0%} of {result['ideal_messages_per_second']}/s ideal "
        f"at concurrency {result['concurrency']}), "
        f"duplicates sms={result['sms_duplicates']} email={result['email_duplicates']}"
    )
    emit(result)


if __name__ == "__main__":
    main()
