"""The sandbox's starting data: three assistants a real Revox organization might run.

Every one of the seed endpoint's 18 fields is filled, plus most of the others, so that reads show
realistic shapes and every update has something to change.
"""

from __future__ import annotations

from typing import Any

SANDBOX_ORGANIZATION_ID = "org_sandbox_acme"
SALES_QUALIFIER_ID = "asst_sales_qualifier"
RECEPTIONIST_ID = "asst_dental_receptionist"
REMINDER_ID = "asst_appointment_reminder"

_CREATOR = {"id": "user_01", "email": "ops@acme-solar.example", "first_name": "Maya", "last_name": "Okafor"}

_SALES_PROMPT = """You are Sarah, a friendly solar energy advisor calling on behalf of Acme Solar.
You are calling {{first_name}} {{last_name}}, who asked for a quote on our website.

Goals, in order:
1. Confirm you are speaking with the homeowner.
2. Qualify: monthly electricity bill, roof type and age, whether they own the home, timeline.
3. If qualified (owner, bill over $100, roof under 15 years), offer a free on-site assessment and
   book it with the calendar tool.
4. If not qualified, thank them warmly and end the call.

Style: warm, concise, never pushy. One question at a time. If they ask to be removed from the
list, apologise, confirm, and end the call. Never promise savings figures."""

_RECEPTIONIST_PROMPT = """You are the receptionist of Bright Smile Dental Clinic in Lyon.
Answer calls politely, help patients book, move or cancel appointments, and answer questions about
opening hours, prices and insurance using the FAQ. For a dental emergency (strong pain, swelling,
bleeding), transfer the call to the on-call dentist. Never give medical advice."""

_REMINDER_PROMPT = """You are calling {{first_name}} to remind them of their appointment on
{{appointment_date}} at {{appointment_time}} with {{practitioner}}. Ask them to confirm they will
come. If they cannot, offer to reschedule and note the preferred day and time. Keep the call under
two minutes."""

SEED_ASSISTANTS: list[dict[str, Any]] = [
    {
        "id": SALES_QUALIFIER_ID,
        "created_by": _CREATOR,
        "name": "Solar lead qualifier (outbound)",
        "type": "standalone",
        "prompt": _SALES_PROMPT,
        "first_sentence": "Hi {{first_name}}, this is Sarah from Acme Solar. Do you have a quick minute?",
        "first_sentence_mode": "static",
        "first_sentence_delay_ms": 400,
        "end_of_call_sentence": "Thanks for your time, have a great day!",
        "voicemail_message": "Hi {{first_name}}, it's Sarah from Acme Solar about your quote. I'll try again later.",
        "voice": {
            "id": "f786b574-daa5-4673-aa0c-cbe3e8534c02",
            "provider": "cartesia",
            "model": "sonic-3",
            "speed": 1.0,
        },
        "llm_model": {"type": "dedicated-instance", "name": "gpt-4.1"},
        "background_sound": "audio/office.ogg",
        "background_sound_volume": 0.3,
        "ivr_navigation_enabled": True,
        "max_call_duration_secs": 600,
        "webhook_url": "https://hooks.acme-solar.example/revox/calls",
        "calendly": {"connection_id": "cal_conn_7f3a", "event_type_id": "evt_site_assessment_30m"},
        "call_retry_config": {
            "allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
            "call_twice_in_a_row": False,
            "calling_windows": [
                {"calling_window_start_time": "09:00", "calling_window_end_time": "12:00", "retry_delay_seconds": 3600},
                {"calling_window_start_time": "2pm", "calling_window_end_time": "7pm", "retry_delay_seconds": 7200},
            ],
            "max_retry_attempts": 3,
            "timezone": "America/Los_Angeles",
        },
        "structured_output_config": [
            {"name": "is_homeowner", "required": True, "type": "boolean", "description": "Owns the home"},
            {"name": "monthly_bill_usd", "required": False, "type": "number", "description": "Electricity bill"},
            {
                "name": "roof_type",
                "required": False,
                "type": "enum",
                "description": "Roof material",
                "enum_options": ["shingle", "tile", "metal", "flat", "other"],
            },
            {"name": "assessment_at", "required": False, "type": "datetime", "description": "Booked slot"},
        ],
        "faq_items": [
            {
                "question": "How much does a solar installation cost?",
                "answer": "Most homes pay between $12,000 and "
                "$20,000 before incentives; the assessment gives an exact quote.",
            },
            {"question": "Is the assessment free?", "answer": "Yes, it is free and takes about 30 minutes."},
        ],
        "from_phone_number": "+14155550100",
        "human_transfer_mode": "warm",
        "warm_transfer_summary_instructions": "Give the lead's name, bill and roof type in one sentence.",
        "stt_model": "stt-rt-v5",
        "thinking_sound": "keyboard-typing.ogg",
        "thinking_sound_probability": 0.4,
        "thinking_sound_volume": 0.5,
        "sms_enabled": False,
        "email_notification_address": "sales@acme-solar.example",
        "email_notification_outcomes": ["interested"],
    },
    {
        "id": RECEPTIONIST_ID,
        "created_by": _CREATOR,
        "name": "Bright Smile receptionist (inbound)",
        "type": "standalone",
        "prompt": _RECEPTIONIST_PROMPT,
        "first_sentence": "Bright Smile Dental Clinic, bonjour! How can I help you today?",
        "first_sentence_mode": "static",
        "first_sentence_delay_ms": 300,
        "end_of_call_sentence": "Thank you for calling Bright Smile, goodbye!",
        "voicemail_message": None,
        "voice": {"id": "21m00Tcm4TlvDq8ikWAM", "provider": "elevenlabs", "speed": 0.95},
        "llm_model": {
            "type": "openrouter",
            "openrouter_model_id": "openai/gpt-4.1-mini",
            "openrouter_provider": "openai",
        },
        "background_sound": None,
        "background_sound_volume": 0.2,
        "ivr_navigation_enabled": False,
        "max_call_duration_secs": 900,
        "webhook_url": "https://api.brightsmile.example/webhooks/revox",
        "calendly": None,
        "call_retry_config": {
            "allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "call_twice_in_a_row": False,
            "calling_windows": [
                {"calling_window_start_time": "08:30", "calling_window_end_time": "18:30", "retry_delay_seconds": 1800}
            ],
            "max_retry_attempts": 1,
            "timezone": "Europe/Paris",
        },
        "structured_output_config": [
            {
                "name": "request_type",
                "required": True,
                "type": "enum",
                "description": "What the caller wanted",
                "enum_options": ["book", "move", "cancel", "question", "emergency"],
            },
            {"name": "patient_name", "required": False, "type": "string", "description": "Full name"},
        ],
        "faq_items": [
            {"question": "What are your opening hours?", "answer": "Monday to Friday, 8:30 to 18:30."},
            {"question": "Do you accept my insurance?", "answer": "We accept all French mutuelles and direct billing."},
            {"question": "How much is a cleaning?", "answer": "A scaling and polish costs 60 euros."},
        ],
        "transfer_destinations": [
            {"label": "On-call dentist", "phone_number": "+33478000001"},
            {"label": "Front desk", "phone_number": "+33478000002"},
        ],
        "human_transfer_mode": "cold",
        "stt_model": "stt-rt-v5",
        "stt_context": {
            "general": [{"key": "business", "value": "dental clinic"}],
            "terms": ["détartrage", "mutuelle"],
        },
        "thinking_sound": None,
        "thinking_sound_probability": 0.0,
        "thinking_sound_volume": 0.3,
        "sms_enabled": True,
        "sms_template": "Your appointment at Bright Smile is confirmed for {{appointment_time}}.",
    },
    {
        "id": REMINDER_ID,
        "created_by": None,
        "name": "Appointment reminder",
        "type": "standalone",
        "prompt": _REMINDER_PROMPT,
        "first_sentence": "Hello {{first_name}}, I'm calling from Bright Smile about your appointment.",
        "first_sentence_mode": "generated",
        "first_sentence_delay_ms": 500,
        "end_of_call_sentence": "See you soon, goodbye!",
        "voicemail_message": "Hello, this is Bright Smile reminding you of your appointment. Please call us back.",
        "voice": {"id": "gradium-voice-ines", "provider": "gradium", "speed": 1.1},
        "llm_model": {"type": "dedicated-instance", "name": "ministral-3-8b-instruct"},
        "background_sound": None,
        "background_sound_volume": 0.0,
        "ivr_navigation_enabled": True,
        "max_call_duration_secs": 180,
        "webhook_url": "https://api.brightsmile.example/webhooks/reminders",
        "calendly": None,
        "call_retry_config": {
            "allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "call_twice_in_a_row": True,
            "calling_windows": [
                {"calling_window_start_time": "10:00", "calling_window_end_time": "17:00", "retry_delay_seconds": 5400}
            ],
            "max_retry_attempts": 2,
            "timezone": "Europe/Paris",
        },
        "structured_output_config": [
            {"name": "confirmed", "required": True, "type": "boolean", "description": "Will attend"},
            {"name": "reschedule_to", "required": False, "type": "datetime", "description": "Preferred new slot"},
        ],
        "faq_items": [],
        "stt_model": "stt-rt-v4",
        "sms_enabled": False,
    },
]
