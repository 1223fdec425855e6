"""One valid new value for every update field, different from the seeded sales qualifier's."""

from __future__ import annotations

from typing import Any

from revox_mcp.models import AssistantUpdate

NEW_VALUES: dict[str, Any] = {
    "after_call_sms_outcomes": ["interested", "completed"],
    "after_call_sms_prompt": "Thank them and recap what was booked.",
    "background_sound": None,
    "background_sound_volume": 0.7,
    "calendly": {"connection_id": "cal_conn_new", "event_type_id": "evt_intro_15m"},
    "call_retry_config": {
        "allowed_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "call_twice_in_a_row": True,
        "calling_windows": [
            {"calling_window_start_time": "10:00", "calling_window_end_time": "4:30pm", "retry_delay_seconds": 900}
        ],
        "max_retry_attempts": 5,
        "timezone": "America/New_York",
    },
    "cartesia_dictionary_pronunciation_id": "dict_solar_terms",
    "custom_tools": [
        {
            "name": "check_availability",
            "description": "Look up free assessment slots for a zip code.",
            "method": "POST",
            "url": "https://api.acme-solar.example/slots",
            "headers": [{"key": "X-Source", "value": "revox"}],
            "query_params": [],
            "body_template": '{"zip": "{{zip}}"}',
            "input_schema": [{"name": "zip", "required": True, "type": "string", "description": "US zip code"}],
        }
    ],
    "email_notification_address": "sales@acme-solar.example, ops@acme-solar.example",
    "email_notification_outcomes": ["completed"],
    "end_of_call_sentence": "Thanks again, bye now!",
    "faq_items": [{"question": "Do you install batteries?", "answer": "Yes, Tesla Powerwall and Enphase."}],
    "first_sentence": "Hey {{first_name}}, Sarah from Acme Solar here.",
    "first_sentence_delay_ms": 800,
    "first_sentence_mode": "generated",
    "from_phone_number": "+14155550177",
    "human_transfer_mode": "cold",
    "ivr_navigation_enabled": False,
    "llm_model": {
        "type": "openrouter",
        "openrouter_model_id": "anthropic/claude-sonnet-4",
        "openrouter_provider": "anthropic",
    },
    "logo_url": "https://cdn.acme-solar.example/logo.png",
    "max_call_duration_secs": 420,
    "max_duration_end_message": "We're out of time; I'll email you the details.",
    "name": "Solar lead qualifier v2",
    "position": {"x": 120, "y": -40.5},
    "precall_lookup_url": "https://crm.acme-solar.example/lookup?phone={{phone}}",
    "prompt": "You are Sarah from Acme Solar. Qualify the lead in under three minutes.",
    "prompt_flow": {
        "nodes": [
            {
                "id": "n1",
                "type": "promptBlock",
                "data": {"title": "Greet", "body": "Say hi."},
                "position": {"x": 0, "y": 0},
            },
            {
                "id": "n2",
                "type": "promptBlock",
                "data": {"title": "Qualify", "body": "Ask."},
                "position": {"x": 0, "y": 100},
            },
        ],
        "edges": [{"id": "e1", "source": "n1", "target": "n2"}],
    },
    "slack": {
        "connection_id": "slack_conn_1",
        "channels": [{"id": "C0123", "name": "sales-leads"}],
        "outcomes": ["interested"],
        "template": "New lead: {{first_name}}",
    },
    "sms_enabled": True,
    "sms_template": "Hi {{first_name}}, your assessment is booked.",
    "structured_output_config": [
        {"name": "is_homeowner", "required": True, "type": "boolean", "description": "Owns the home"},
        {"name": "tier", "required": False, "type": "enum", "enum_options": ["hot", "warm", "cold"]},
    ],
    "structured_output_prompt": "Only fill is_homeowner when the caller said so explicitly.",
    "stt_context": {"general": [{"key": "industry", "value": "residential solar"}], "terms": ["Powerwall", "kWh"]},
    "stt_model": "stt-rt-v4",
    "thinking_sound": "hold_music.ogg",
    "thinking_sound_probability": 0.9,
    "thinking_sound_volume": 0.2,
    "transfer_destinations": [{"label": "Senior advisor", "phone_number": "+14155550111"}],
    "transfer_phone_number": "+14155550112",
    "type": "multi-step",
    "voice": {"id": "21m00Tcm4TlvDq8ikWAM", "provider": "elevenlabs", "speed": 0.8},
    "voicemail_message": "Hi, it's Sarah from Acme Solar; call me back at this number.",
    "voicemail_sms_prompt": "Say sorry we missed them and offer a callback.",
    "warm_transfer_summary_instructions": "One sentence: name, bill, roof.",
    "webhook_url": "https://hooks.acme-solar.example/revox/v2",
    "zoho": {
        "connection_id": "zoho_conn_1",
        "module": "Leads",
        "field_mapping": [{"source": "is_homeowner", "zoho_field": "Homeowner"}],
        "log_call_activity": True,
        "outcomes": ["interested", "completed"],
        "template": None,
    },
}

assert set(NEW_VALUES) == set(AssistantUpdate.model_fields), "every update field needs a test value"
