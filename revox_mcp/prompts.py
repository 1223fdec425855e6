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
   If an earlier change is pending judgement (list_changes {{"assistant_id": "{assistant_id}"}}), measure it
   first with change_impact {{"change_id": "..."}}: keep it if it is better, revert_change it if worse.
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
6. If place_test_call is offered, offer to hear the candidate first: place_test_call with the same patch
   and edits to one of the operator's test numbers (nothing stored changes); read it back with get_call.
7. Only after I agree, apply it: the same call without dry_run, with a short "reason". Report the
   change_id.
8. Come back after enough calls have run: change_impact {{"change_id": "..."}} says better, worse, or "not
   yet" with about how many more calls would decide it. Its verdict is valid however often you come back
   (a sequential test); judge by the one outcome you chose for the goal (pass it as "success"), not by the
   others it reports. Keep a better change; revert_change a worse one.
   To try a candidate without changing the assistant, put it on a copy (clone_assistant with the patch), send
   both the same traffic, and judge with compare_assistants {{"assistant_id": "...", "candidate_id": "<the
   copy>", "success": "..."}} (same verdicts, or "incomparable" if their traffic differed).

Do not change fields the goal does not need. If update_assistant refuses (a stale version, a policy,
an invalid value), read its message, fix the cause and start again from the step it points to."""

_UNATTENDED = """You are tuning the Revox voice assistant {assistant_id} unattended, toward: {goal}
No person approves each step, so keep to these rules:

- One primary outcome decides every verdict, fixed before looking at any call: {primary}. Write it in every
  reason ("auto-tune [success=<outcome>]: ..."); once a reason of yours names one, keep that one. Pass it as
  "success" to every change_impact. The other outcomes, results and rates change_impact reports carry no
  verdict: never keep or revert a change because of them.
- One change at a time. First look for the last change you made (list_changes {{"assistant_id":
  "{assistant_id}"}}, your reasons start with "auto-tune"). If there is one, measure it with change_impact
  {{"change_id": "...", "success": "<the primary outcome>"}}, leaving look, lookback_days and until at their
  defaults: the verdict then comes from a sequential test (alpha 0.05) that stays valid however often you come
  back, so measuring on every run is safe. Never pass "look": "planned" (valid for one planned read only).
  - "worse": revert_change it with reason "auto-tune [success=<outcome>]: revert, worse", and stop.
  - "not yet": stop; run again once about the calls_to_decide it names have run (measuring sooner is safe,
    just early). If it says no number of calls can decide it, treat it as "unmeasurable".
  - "unmeasurable": another change closed its window, or it cannot be decided; keep it, and judge the two by
    the later one.
  - "better": keep it, and go on.
- Read the evidence (get_assistant, search_calls, 3 to 5 get_call) and choose the single smallest change
  that serves the goal: one replace_text, one FAQ upsert, or one setting.
- Preview it with dry_run and expected_updated_at; apply it with reason "auto-tune [success=<outcome>]: <what
  and why>". If the server refuses (the operator's policy, a stale version), do not work around it: stop and
  report.
- A candidate tried on a copy (clone_assistant) is judged with compare_assistants (the copy as candidate_id,
  the same "success", look left at its default), by the same rules; "incomparable" is "not yet".
- Never change the voice provider, the language model, integrations, webhooks or transfer numbers.
- End with a short report: the verdict on the last change (its words, which name the test), what you changed
  now, and when to run again."""

# The primary outcome when the person starting the loop names none: chosen from the goal, before any call is read.
_DEFAULT_PRIMARY = (
    'if none of your reasons names one yet, choose it now from the goal, before reading any call: "interested" '
    'for a goal about leads or sales, otherwise "completed"'
)


def tune_assistant(arguments: dict[str, str] | None) -> types.GetPromptResult:
    return _rendered(TUNE_ASSISTANT, _STEPS, arguments)


def _rendered(prompt: types.Prompt, template: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    arguments = arguments or {}
    missing = [a.name for a in prompt.arguments or [] if a.required and not arguments.get(a.name)]
    if missing:
        raise ValueError(f"{prompt.name} needs: {', '.join(missing)}")
    primary = f'"{arguments["success"]}"' if arguments.get("success") else _DEFAULT_PRIMARY
    text = template.format(assistant_id=arguments["assistant_id"], goal=arguments["goal"], primary=primary)
    return types.GetPromptResult(
        description=f"Tune {arguments['assistant_id']}: {arguments['goal']}",
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )


AUTO_TUNE_ASSISTANT = types.Prompt(
    name="auto_tune_assistant",
    title="Tune a voice assistant unattended",
    description="An unattended tuning loop: one change at a time within the operator's policy, measured with "
    "change_impact, reverted when worse.",
    arguments=[
        *(TUNE_ASSISTANT.arguments or []),
        types.PromptArgument(
            name="success",
            description="The one outcome every verdict is judged by (e.g. completed, interested), fixed for the "
            "whole loop; default: chosen from the goal.",
            required=False,
        ),
    ],
)


def auto_tune_assistant(arguments: dict[str, str] | None) -> types.GetPromptResult:
    return _rendered(AUTO_TUNE_ASSISTANT, _UNATTENDED, arguments)


PROMPTS = {
    TUNE_ASSISTANT.name: (TUNE_ASSISTANT, tune_assistant),
    AUTO_TUNE_ASSISTANT.name: (AUTO_TUNE_ASSISTANT, auto_tune_assistant),
}

# The tools each prompt's steps cannot do without: a server that does not offer them all (read-only, or tool
# families that leave one out) does not list the prompt, rather than start a workflow that stops half-way.
_TUNING_TOOLS = frozenset({"get_assistant", "update_assistant", "search_calls", "get_call", "change_impact"})
NEEDS: dict[str, frozenset[str]] = {
    TUNE_ASSISTANT.name: _TUNING_TOOLS,
    AUTO_TUNE_ASSISTANT.name: _TUNING_TOOLS | {"list_changes", "revert_change"},
}


def offered_prompts(tools: set[str] | frozenset[str]) -> list[str]:
    """The prompts whose tools are all among `tools`."""
    return [name for name in PROMPTS if NEEDS[name] <= tools]
