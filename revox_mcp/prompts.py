"""MCP prompts: guided workflows a person can start from their client (e.g. a slash command)."""

from __future__ import annotations

import mcp_types as types

TUNE_ASSISTANT = types.Prompt(
    name="tune_assistant",
    title="Tune a voice assistant",
    description="Improve an assistant toward a goal using what happened on its recent calls, safely.",
    arguments=[
        types.PromptArgument(name="assistant_id", description="The assistant to tune.", required=True),
        types.PromptArgument(
            name="goal", description="What to improve, e.g. 'fewer calls lost at the greeting'.", required=True
        ),
    ],
)

_STEPS = """You are tuning the Revox voice assistant {assistant_id}. Goal: {goal}

Work through these steps with the revox tools, and show me what you find at each one.

1. Read it: get_assistant {{"id": "{assistant_id}"}}. Note its updated_at, prompt, first_sentence and voice.
2. Look at the evidence: search_calls {{"assistant_id": "{assistant_id}", "page_size": 50}}, then the same
   filtered by the outcomes and results that matter for the goal (for example results ["voicemail"] or
   outcomes ["not_interested"]). Say what share of calls ends each way ("12 of the last 40 calls ended in
   voicemail").
3. Read 3 to 5 representative calls with get_call, including at least one that went well and one that
   went badly, and quote the turns that explain the difference.
4. Propose the smallest changes that serve the goal, each with the evidence behind it. Prefer precise
   edits: replace_text on one passage of the prompt or first sentence, upsert/remove for one FAQ item or
   transfer destination; use patch for single settings (for a voice, find a valid id with list_voices).
5. Preview: call update_assistant with the same arguments plus "dry_run": true and
   "expected_updated_at" from step 1. Show me the diff from the answer's changes.
6. Only after I agree, apply it: the same call without dry_run, with a short "reason". Report the
   change_id; revert_change undoes it if the next calls go worse.

Do not change fields the goal does not need. If update_assistant refuses (a stale version, a policy,
an invalid value), read its message, fix the cause and start again from the step it points to."""


def tune_assistant(arguments: dict[str, str] | None) -> types.GetPromptResult:
    arguments = arguments or {}
    missing = [a.name for a in TUNE_ASSISTANT.arguments or [] if a.required and not arguments.get(a.name)]
    if missing:
        raise ValueError(f"tune_assistant needs: {', '.join(missing)}")
    text = _STEPS.format(assistant_id=arguments["assistant_id"], goal=arguments["goal"])
    return types.GetPromptResult(
        description=f"Tune {arguments['assistant_id']}: {arguments['goal']}",
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )


PROMPTS = {TUNE_ASSISTANT.name: (TUNE_ASSISTANT, tune_assistant)}
