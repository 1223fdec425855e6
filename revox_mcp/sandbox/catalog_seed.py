"""The sandbox's catalogs and call history: voices of the three providers, the organization's phone
numbers, and 60 calls over the seeded assistants with believable outcomes and transcripts.

Calls are generated from a fixed seed, so every sandbox holds the same history.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID

Row = dict[str, Any]


def _voice(
    voice_id: str,
    name: str,
    provider: str,
    language: str,
    gender: str | None,
    accent: str | None,
    description: str,
    compat: str | None = None,
    cloned: bool = False,
) -> Row:
    row: Row = {
        "id": voice_id,
        "name": name,
        "description": description,
        "provider": provider,
        "language": language,
        "accent": accent,
        "gender": gender,
        "isCloned": cloned,
    }
    if compat is not None:
        row["modelCompat"] = compat
    return row


VOICES: list[Row] = [
    # Cartesia (ids are UUIDs; some voices only work with one Sonic model)
    _voice("f786b574-daa5-4673-aa0c-cbe3e8534c02", "Katie", "cartesia", "en", "female", "american",
           "Friendly, upbeat young woman; clear for sales calls", "universal"),
    _voice("a0e99841-438c-4a64-b679-ae501e7d6091", "Barbershop Man", "cartesia", "en", "male", "american",
           "Relaxed, warm conversational man"),
    _voice("79a125e8-cd45-4c13-8a67-188112f4dd22", "British Lady", "cartesia", "en", "female", "british",
           "Warm, composed British woman; reassuring", "universal"),
    _voice("63ff761f-c1e8-414b-b969-d1833d1c870c", "Confident British Man", "cartesia", "en", "male", "british",
           "Crisp, confident British man", "sonic-3"),
    _voice("c2ac25f9-ecc4-4f56-9095-651354df60c0", "Reading Lady", "cartesia", "en", "female", "british",
           "Soft, slow, warm storytelling voice", "sonic-3.5"),
    _voice("65b25c5d-ff07-4687-a04c-da2f43ef6fa9", "Helpful French Lady", "cartesia", "fr", "female", "parisian",
           "Bright, helpful French woman", "universal"),
    _voice("ab7c61f5-3daa-47dd-a23b-4ac0aac5f5c3", "Friendly French Man", "cartesia", "fr", "male", "parisian",
           "Friendly, even-paced French man"),
    _voice("d5c4211c-9584-4468-a090-86b872b82708", "Québécoise", "cartesia", "fr", "female", "quebec",
           "Warm Québécois accent, informal", "sonic-3.5"),
    _voice("846d6cb0-2301-48b6-9683-48f5618ea2f6", "Spanish Narrator Lady", "cartesia", "es", "female", "castilian",
           "Clear Castilian Spanish woman"),
    _voice("5c5ad5e7-1020-476b-8b91-fdcbe9cc313c", "Mexican Woman", "cartesia", "es", "female", "mexican",
           "Warm Mexican Spanish woman", "universal"),
    _voice("b9de4a89-2257-424b-94c2-db18ba68c81a", "German Woman", "cartesia", "de", "female", None,
           "Calm, professional German woman"),
    _voice("e00d0e4c-a5c8-443f-a8a3-473eb9a62355", "Friendly Brazilian Man", "cartesia", "pt", "male", "brazilian",
           "Friendly Brazilian Portuguese man", "sonic-3"),
    # ElevenLabs (ids are 20 characters)
    _voice("21m00Tcm4TlvDq8ikWAM", "Rachel", "elevenlabs", "en", "female", "american", "Calm, young American woman"),
    _voice("EXAVITQu4vr4xnSDxMaL", "Sarah", "elevenlabs", "en", "female", "american", "Soft, confident news voice"),
    _voice("JBFqnCBsd6RMkjVDRZzb", "George", "elevenlabs", "en", "male", "british", "Warm, raspy British storyteller"),
    _voice("Xb7hH8MSUJpSbSDYk0k2", "Alice", "elevenlabs", "en", "female", "british", "Clear British educator"),
    _voice("onwK4e9ZLuTAKqWW03F9", "Daniel", "elevenlabs", "en", "male", "british", "Authoritative newsreader"),
    _voice("pFZP5JQG7iQjIQuC4Bku", "Lily", "elevenlabs", "en", "female", "british", "Warm, velvety British actress"),
    _voice("TX3LPaxmHKxFdv7VOQHJ", "Liam", "elevenlabs", "en", "male", "american", "Energetic young American man"),
    _voice("ThT5KcBeYPX3keUQqHPh", "Dorothy", "elevenlabs", "en", "female", "british", "Gentle British woman"),
    _voice("IKne3meq5aSn9XLyUdCD", "Charlie", "elevenlabs", "en", "male", "australian", "Casual Australian man"),
    _voice("XrExE9yKIg1WjnnlVkGX", "Matilda", "elevenlabs", "en", "female", "american", "Warm, friendly woman"),
    _voice("zcAOhNBS3c14rBihAFp1", "Giovanni", "elevenlabs", "it", "male", "italian", "Warm Italian man"),
    _voice("GBv7mTt0atIp3Br8iCZE", "Thomas", "elevenlabs", "fr", "male", "parisian", "Calm French man"),
    _voice("Zx7sWqm2RzB1cJ4aKe9f", "Maya (cloned)", "elevenlabs", "en", "female", "american",
           "Cloned from Acme's head of sales", cloned=True),
    # Gradium
    _voice("gradium-voice-ines", "Inès", "gradium", "fr", "female", "parisian", "Warm, reassuring French woman"),
    _voice("gradium-voice-jules", "Jules", "gradium", "fr", "male", "parisian", "Young, lively French man"),
    _voice("gradium-voice-emma", "Emma", "gradium", "en", "female", "british", "Gentle British woman, slow pace"),
    _voice("gradium-voice-noah", "Noah", "gradium", "en", "male", "american", "Deep, steady American man"),
    _voice("gradium-voice-lucia", "Lucía", "gradium", "es", "female", "castilian", "Lively Castilian woman"),
    _voice("gradium-voice-hanna", "Hanna", "gradium", "de", "female", None, "Friendly German woman"),
    _voice("gradium-voice-mei", "Mei", "gradium", "zh", "female", None, "Clear Mandarin speaker"),
    _voice("gradium-voice-olga", "Olga", "gradium", "ru", "female", None, "Calm Russian woman"),
]  # fmt: skip

PHONE_NUMBERS: list[Row] = [
    {
        "id": "pn_01",
        "phone_number": "+14155550100",
        "label": "Acme Solar sales line",
        "provider": "twilio",
        "source": "revox_purchased",
        "type": "owned_number",
        "inbound_assistant": None,
        "created_at": "2026-03-02T10:00:00Z",
    },
    {
        "id": "pn_02",
        "phone_number": "+33478000000",
        "label": "Bright Smile reception",
        "provider": "telnyx",
        "source": "revox_provisioned",
        "type": "owned_number",
        "inbound_assistant": RECEPTIONIST_ID,
        "created_at": "2026-04-11T08:30:00Z",
    },
    {
        "id": "pn_03",
        "phone_number": "+14155550177",
        "label": "Ops caller id",
        "provider": "sip",
        "source": "user_imported",
        "type": "verified_caller_id",
        "inbound_assistant": None,
        "created_at": "2026-05-20T15:45:00Z",
    },
]

_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Hugo", "Chloé", "Jules", "Sofia", "Ethan"]
_LAST = ["Martin", "Johnson", "Bernard", "Garcia", "Dubois", "Smith", "Moreau", "Brown", "Lefebvre", "Davis"]


def _turn(role: str, content: str) -> Row:
    return {"role": role, "content": content, "tool_name": None, "tool_arguments": None, "tool_output": None,
            "tool_is_error": None}  # fmt: skip


def _sales_call(rng: random.Random, first: str) -> tuple[str, str, str | None, str, list[Row], Row]:
    """(result, end_reason, outcome, summary, transcript, structured_output) of one sales call."""
    kind = rng.choices(
        ["voicemail", "not_interested", "interested", "callback", "ivr", "no_answer"], [12, 6, 5, 3, 2, 2]
    )[0]
    if kind in ("voicemail", "ivr", "no_answer"):
        return _unanswered_sales_call(kind, first)
    opener = _turn("assistant", f"Hi {first}, this is Sarah from Acme Solar. Do you have a quick minute?")
    if kind == "not_interested":
        return (
            "human",
            "tool_end_call",
            "not_interested",
            "Not interested: renting, not the owner.",
            [
                opener,
                _turn("user", "Honestly I'm renting, so solar isn't my call. And I'm busy."),
                _turn("assistant", "I understand completely. Thanks for your time, have a great day!"),
            ],
            {"is_homeowner": False},
        )
    bill = rng.choice([90, 140, 180, 220, 310])
    if kind == "callback":
        return (
            "human",
            "tool_end_call",
            "requested_callback_later",
            "Asked to be called back next week.",
            [
                opener,
                _turn("user", "Not now, I'm driving. Can you call me next week?"),
                _turn("assistant", "Of course. I'll call you next week. Drive safe!"),
            ],
            {"is_homeowner": True},
        )
    return _interested_sales_call(opener, bill)


def _unanswered_sales_call(kind: str, first: str) -> tuple[str, str, str | None, str, list[Row], Row]:
    if kind == "voicemail":
        return (
            "voicemail",
            "voicemail",
            None,
            "Reached voicemail; left a message.",
            [
                _turn("user", f"Hi, you've reached {first}. Leave a message after the tone."),
                _turn("assistant", f"Hi {first}, it's Sarah from Acme Solar about your quote. I'll try again later."),
            ],
            {},
        )
    if kind == "ivr":
        return (
            "IVR",
            "user_inactive",
            "none",
            "Hit a phone menu and could not reach a person.",
            [
                _turn("user", "Thank you for calling. For sales, press 1. For support, press 2."),
                _turn("assistant", "(pressed 0)"),
            ],
            {},
        )
    return "unknown", "user_rejected", "none", "The call was rejected.", [], {}


def _interested_sales_call(opener: Row, bill: int) -> tuple[str, str, str | None, str, list[Row], Row]:
    return "human", "tool_end_call", "interested", f"Homeowner, bill ${bill}/month, booked an assessment.", [
        opener,
        _turn("user", "Sure, I filled the form last week."),
        _turn("assistant", "Great! Do you own your home, and roughly what is your monthly electricity bill?"),
        _turn("user", f"Yes, I own it. About {bill} dollars a month, more in summer."),
        _turn("assistant", "And how old is your roof, more or less?"),
        _turn("user", "Maybe eight years. Shingle."),
        {**_turn("tool", ""), "tool_name": "book_slot", "tool_arguments": {"day": "thursday"}, "tool_output": "booked",
         "tool_is_error": False},
        _turn("assistant", "You're booked for a free assessment on Thursday at 10am. Anything else?"),
        _turn("user", "How much will I save?"),
        _turn("assistant", "The assessment will give you exact figures for your home."),
    ], {"is_homeowner": True, "monthly_bill_usd": bill, "roof_type": "shingle"}  # fmt: skip


def _reception_call(rng: random.Random, first: str) -> tuple[str, str, str | None, str, list[Row], Row]:
    kind = rng.choice(["book", "hours", "emergency", "insurance", "cancel"])
    hello = _turn("assistant", "Bright Smile Dental Clinic, bonjour! How can I help you today?")
    turns = {
        "book": [
            _turn("user", "I'd like a cleaning appointment."),
            _turn("assistant", "Certainly. Tuesday at 2pm works?"),
            _turn("user", "Perfect."),
            _turn("assistant", "You're booked for Tuesday at 2pm."),
        ],
        "hours": [
            _turn("user", "Are you open on Saturdays?"),
            _turn("assistant", "We're open Monday to Friday, 8:30 to 18:30; not on Saturdays."),
        ],
        "emergency": [
            _turn("user", "My cheek is swollen and it really hurts."),
            _turn("assistant", "I'm transferring you to the on-call dentist right now."),
        ],
        "insurance": [
            _turn("user", "Do you take my mutuelle?"),
            _turn("assistant", "We accept all French mutuelles and direct billing."),
        ],
        "cancel": [
            _turn("user", "I need to cancel tomorrow's appointment."),
            _turn("assistant", "Done, it's cancelled. Would you like to rebook?"),
            _turn("user", "Not now."),
        ],
    }[kind]
    end = "transfer" if kind == "emergency" else "tool_end_call"
    outcome = "completed" if kind in ("book", "hours", "insurance", "cancel") else "none"
    return "human", end, outcome, f"Caller asked about: {kind}.", [hello, *turns], {
        "request_type": "question" if kind in ("hours", "insurance") else kind,
        "patient_name": f"{first}",
    }  # fmt: skip


def _reminder_call(rng: random.Random, first: str) -> tuple[str, str, str | None, str, list[Row], Row]:
    if rng.random() < 0.35:
        return "voicemail", "voicemail", None, "Left a reminder on voicemail.", [
            _turn("assistant", "Hello, this is Bright Smile reminding you of your appointment. Please call us back.")
        ], {}  # fmt: skip
    confirmed = rng.random() < 0.7
    reply = "Yes, I'll be there." if confirmed else "I can't make it, can we move it to Friday morning?"
    return "human", "tool_end_call", "completed", "Confirmed." if confirmed else "Asked to reschedule to Friday.", [
        _turn("assistant", f"Hello {first}, I'm calling from Bright Smile about your appointment tomorrow at 9am."),
        _turn("user", reply),
        _turn("assistant", "Thank you, see you soon!" if confirmed else "Noted, Friday morning. We'll confirm by SMS."),
    ], {"confirmed": confirmed} | ({} if confirmed else {"reschedule_to": "2026-11-20T09:00:00Z"})  # fmt: skip


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _attempt(
    attempt_id: str,
    phone_number: str,
    started: datetime,
    result: str,
    end_reason: str,
    turns: list[Row],
    extracted: Row,
) -> Row:
    """One call attempt as the API answers it (CallCallAttempt in the SDK)."""
    answered = result != "unknown"
    duration = 0 if not turns else 15 + 12 * len(turns)
    return {
        "id": attempt_id,
        "status": "completed",
        "result": result,
        "phone_number": phone_number,
        # The AI conducts every answered attempt here; no seeded call was taken over by a human operator.
        "handled_by_ai": answered,
        "handled_by_human": False,
        "handled_by_user": None,
        "dial_error": None,
        "started_at": _stamp(started),
        "answered_at": _stamp(started) if answered else None,
        "ended_at": _stamp(started + timedelta(seconds=duration)),
        "end_reason": end_reason,
        "ended_by": "agent" if end_reason in ("tool_end_call", "voicemail", "transfer") else "user",
        "recording_url": f"https://recordings.sandbox.example/{attempt_id}.ogg" if turns else None,
        "structured_output": extracted,
        "transcript": turns,
        "post_call_transcript": [],
    }


def _call(
    call_id: str,
    organization_id: str,
    direction: str,
    numbers: tuple[str, str],
    name: tuple[str, str],
    assistant: Row,
    outcome_and_summary: tuple[str | None, str],
    created: datetime,
    attempts: list[Row],
) -> Row:
    """One call in the SDK's shape; `attempts` most recent first."""
    (from_number, to_number), (first, last), (outcome, summary) = numbers, name, outcome_and_summary
    attempt = attempts[0]
    return {
        "id": call_id,
        "organization_id": organization_id,
        "direction": direction,
        "status": "completed",
        "from_phone_number": from_number,
        "to_phone_number": to_number,
        "contact": {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}@example.com",
            "company": None,
            "job_title": None,
        },
        "assistant": assistant or None,
        "assignee": None,
        "campaign": None,
        # What the call ran with, copied from its assistant when it was placed.
        "llm_model": assistant.get("llm_model", {"type": "dedicated-instance", "name": "gpt-4.1"}),
        "first_sentence_delay_ms": assistant.get("first_sentence_delay_ms", 400),
        "call_retry_config": assistant.get("call_retry_config"),
        "prompt_variables": {"first_name": first, "last_name": last},
        "metadata": None,
        "outcome": None if outcome in (None, "none") else outcome,
        "outcome_summary": summary,
        "created_at": _stamp(created),
        "scheduled_at": _stamp(created),
        # The outcome is computed shortly after the last attempt ends.
        "updated_at": _stamp(_parse(attempt["ended_at"]) + timedelta(seconds=20)),
        "is_completed": True,
        "is_cancelled": False,
        "calls_count": len(attempts),
        "call_attempts": attempts,
        "last_call_attempt": attempt,
    }


def generate_calls(assistants: dict[str, Row], organization_id: str, count: int = 60, seed: int = 7) -> list[Row]:
    """`count` calls over the last 30 days, newest first, spread over the three seeded assistants.

    Each call has the shape of the SDK's `Call`: the whole assistant it used (as in `assistants`), the
    organization, the LLM and first-sentence delay the call ran with, and its attempts most recent first.
    A call without a business outcome has `outcome` null (the search filter calls that "none").
    """
    rng = random.Random(seed)
    now = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    plan = [(SALES_QUALIFIER_ID, _sales_call, "outbound")] * 30 + [(RECEPTIONIST_ID, _reception_call, "inbound")] * 18
    plan += [(REMINDER_ID, _reminder_call, "outbound")] * 12
    ours = {SALES_QUALIFIER_ID: "+14155550100", RECEPTIONIST_ID: "+33478000000", REMINDER_ID: "+14155550177"}
    calls = []
    for index in range(count):
        assistant_id, make, direction = plan[index % len(plan)]
        assistant = assistants.get(assistant_id) or {}
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        result, end_reason, outcome, summary, transcript, structured = make(rng, first)
        started = now - timedelta(minutes=rng.randint(0, 30 * 24 * 60))
        talk = rng.randint(0, 40) if transcript else 0
        customer = f"+1415555{rng.randint(1000, 9999)}"
        to_number = customer if direction == "outbound" else ours[assistant_id]
        attempt = _attempt(f"att_{index:03d}", to_number, started, result, end_reason, transcript, structured)
        attempt["ended_at"] = _stamp(_parse(attempt["ended_at"]) + timedelta(seconds=talk))
        attempts = [attempt]
        created = started
        if direction == "outbound" and index % 10 == 2:
            # An earlier attempt nobody answered, retried later the same day: the API lists attempts most
            # recent first, so it comes second.
            created = started - timedelta(hours=2)
            missed = _attempt(f"att_{index:03d}_0", to_number, created, "unknown", "user_unavailable", [], {})
            attempts.append({**missed, "dial_error": "no_answer", "ended_by": "system"})
        from_number = ours[assistant_id] if direction == "outbound" else customer
        calls.append(
            _call(
                f"call_{index:03d}",
                organization_id,
                direction,
                (from_number, to_number),
                (first, last),
                assistant,
                (outcome, summary),
                created,
                attempts,
            )
        )
    calls.sort(key=lambda c: c["created_at"], reverse=True)
    return calls


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


# A tuning history to measure (revox-mcp sandbox --tuning-history; it replaces the reminder's other calls):
# the reminder's opening line (first_sentence) changed at TUNED_AT, and the share of confirmed appointments
# ('completed') went from 30% (9 of 30 calls in the week before) to 67% (22 of the 33 calls until the next
# change at RETUNED_AT, its voice's speed): a real difference that change_impact calls better (two-sided
# p = 0.004). The change at RETUNED_AT has 3 calls in the day before it and 3 after: "not yet". Each call
# carries the configuration it ran with (tuning_configurations), stamped with the time of its last change: the
# two changes can be found from the calls alone (call_evidence), as from an API that answers that.
TUNED_AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
RETUNED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TUNING_RATES = {"before": (9, 30), "after": (21, 30), "retuned_before": (1, 3), "retuned_after": (2, 3)}
# The reminder's opening line before TUNED_AT, and its configuration's stamps: created, first saved, then the
# two changes (the stored reminder is restamped to the last: it is the configuration the newest calls ran with).
OLD_FIRST_SENTENCE = "Hi, this is Bright Smile calling to remind you of your appointment tomorrow."
TUNING_CREATED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TUNING_FIRST_SAVED = datetime(2026, 10, 27, 9, 0, tzinfo=UTC)


def tuning_configurations(assistant: Row) -> dict[str, Row]:
    """The reminder as each side of the tuning history ran with it: the stored one (`assistant`) is the last."""
    last = {**assistant, "created_at": _stamp(TUNING_CREATED), "updated_at": _stamp(RETUNED_AT)}
    voice: Row = last["voice"] if isinstance(last.get("voice"), dict) else {}
    middle = {**last, "voice": {**voice, "speed": 1.0}, "updated_at": _stamp(TUNED_AT)}
    first = {**middle, "first_sentence": OLD_FIRST_SENTENCE, "updated_at": _stamp(TUNING_FIRST_SAVED)}
    return {"before": first, "after": middle, "retuned_before": middle, "retuned_after": last}


def _opening(config: Row, first_name: str) -> str:
    return str(config.get("first_sentence") or "Hello.").replace("{{first_name}}", first_name)


def tuning_history(assistant: Row, organization_id: str) -> list[Row]:
    """Calls of the reminder assistant around TUNED_AT and RETUNED_AT with the rates stated above."""
    template = generate_calls({REMINDER_ID: assistant}, organization_id, count=60)
    reminder = next(c for c in template if (c["assistant"] or {}).get("id") == REMINDER_ID)
    plan = [
        ("before", TUNED_AT - timedelta(days=7), TUNED_AT),
        ("after", TUNED_AT, TUNED_AT + timedelta(days=7)),
        ("retuned_before", RETUNED_AT - timedelta(hours=20), RETUNED_AT),
        ("retuned_after", RETUNED_AT, RETUNED_AT + timedelta(hours=20)),
    ]
    calls = []
    configurations = tuning_configurations(assistant)
    first_name = str((reminder.get("contact") or {}).get("first_name") or "there")
    for side, start, end in plan:
        hits, total = TUNING_RATES[side]
        step = (end - start) / (total + 1)
        for i in range(total):
            started = start + step * (i + 1)
            confirmed = i < hits
            turns = [
                _turn("assistant", _opening(configurations[side], first_name)),
                _turn("user", "Yes, I'll be there." if confirmed else "I'm not sure yet."),
            ]
            attempt = _attempt(f"att_tune_{side}_{i:02d}", reminder["to_phone_number"], started, "human",
                               "tool_end_call", turns, {"confirmed": confirmed})  # fmt: skip
            calls.append(
                {
                    **reminder,
                    "assistant": configurations[side],
                    "id": f"call_tune_{side}_{i:02d}",
                    "outcome": "completed" if confirmed else "not_interested",
                    "outcome_summary": "Confirmed." if confirmed else "Did not confirm.",
                    "created_at": _stamp(started),
                    "scheduled_at": _stamp(started),
                    "updated_at": attempt["ended_at"],
                    "calls_count": 1,
                    "call_attempts": [attempt],
                    "last_call_attempt": attempt,
                }
            )
    return calls


# Calls not finished yet, for the call actions (cancel, pause, resume) to act on: the reminder's calls of its
# December check-ups campaign (rows of camp_december_reminders in the campaign sandbox: the same calls), created
# when it launched on 20 November and scheduled for the calling window, one of them paused after a missed
# attempt; and, for the status filter, one that errored and one cancelled. The campaign's finished calls come
# after them: the newest calls, of all and of the reminder, stay finished ones (tests take the newest as a
# template of a finished call).
PENDING_PLAN: list[tuple[str, str, str, str]] = [
    # (call id, status, the contact's number, scheduled_at)
    ("call_sched_01", "scheduled", "+14155558408", "2026-11-25T09:00:00Z"),
    ("call_sched_02", "scheduled", "+14155552231", "2026-11-25T09:30:00Z"),
    ("call_sched_03", "scheduled", "+14155557714", "2026-11-25T10:00:00Z"),
    ("call_queued_01", "queued_for_calling", "+14155553090", "2026-11-24T17:55:00Z"),
    ("call_queued_02", "queued_for_calling", "+14155556642", "2026-11-24T17:58:00Z"),
    ("call_paused_01", "paused", "+14155554417", "2026-11-24T10:00:00Z"),
    ("call_errored_01", "errored", "+1415555000", "2026-11-24T10:30:00Z"),
    ("call_cancelled_01", "cancelled", "+14155559120", "2026-11-24T11:00:00Z"),
]
PENDING_CREATED = datetime(2026, 11, 20, 12, 40, tzinfo=UTC)
# The campaign the pending reminders belong to (the campaign sandbox seeds it by this id and name), and the
# team member who follows up on interested sales leads: for the campaign_ids and assignee_ids filters.
REMINDER_CAMPAIGN: Row = {"id": "camp_december_reminders", "name": "December check-up reminders"}
SALES_ASSIGNEE: Row = {"id": "user_02", "email": "jordan@acme-solar.example", "first_name": "Jordan",
                       "last_name": "Lee"}  # fmt: skip


def _pending_attempts(call_id: str, status: str, phone_number: str, scheduled: datetime) -> list[Row]:
    """The attempts a pending call has had: a missed one for the paused call, a failed dial for the errored."""
    if status not in ("paused", "errored"):
        return []
    attempt = _attempt(f"att_{call_id.removeprefix('call_')}", phone_number, scheduled, "unknown", "user_unavailable",
                       [], {})  # fmt: skip
    if status == "errored":
        return [{**attempt, "status": "error", "dial_error": "number_non_attributed", "ended_by": "system",
                 "end_reason": "user_unavailable"}]  # fmt: skip
    return [{**attempt, "dial_error": "no_answer", "ended_by": "system"}]


def pending_calls(assistants: dict[str, Row], organization_id: str) -> list[Row]:
    """The reminder's unfinished calls of PENDING_PLAN, in the SDK's `Call` shape, newest first."""
    reminder = assistants.get(REMINDER_ID) or {}
    calls = []
    for index, (call_id, status, number, scheduled_at) in enumerate(PENDING_PLAN):
        first, last = _FIRST[index % len(_FIRST)], _LAST[index % len(_LAST)]
        scheduled = _parse(scheduled_at)
        attempts = _pending_attempts(call_id, status, number, scheduled)
        created = PENDING_CREATED + timedelta(minutes=index)
        call = _call(call_id, organization_id, "outbound", ("+14155550177", number), (first, last), reminder,
                     (None, ""), created, attempts or [{"ended_at": _stamp(created)}])  # fmt: skip
        call.update(
            status=status,
            campaign=dict(REMINDER_CAMPAIGN),
            outcome_summary=None,
            scheduled_at=scheduled_at,
            updated_at=_stamp(scheduled if attempts else created),
            is_completed=False,
            is_cancelled=status == "cancelled",
            calls_count=len(attempts),
            call_attempts=attempts,
            last_call_attempt=attempts[0] if attempts else None,
            prompt_variables={"first_name": first, "appointment_date": "1 December", "appointment_time": "11:00"},
        )
        calls.append(call)
    return sorted(calls, key=lambda c: c["created_at"], reverse=True)


def with_assignees(calls: list[Row]) -> list[Row]:
    """Interested sales leads are handed to a team member to follow up (the call's `assignee`)."""
    for call in calls:
        if (call.get("assistant") or {}).get("id") == SALES_QUALIFIER_ID and call.get("outcome") == "interested":
            call["assignee"] = dict(SALES_ASSIGNEE)
    return calls
