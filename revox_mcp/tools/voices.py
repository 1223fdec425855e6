"""preview_voice: hear a voice before an assistant uses it, as MCP audio content.

The voice, its settings and the text default to an assistant's (its voice, and its first sentence), and each
argument overrides one of them. What the agent sets is judged as update_assistant judges the same voice
fields (models.Voice: the SDK's types and per-provider speed ranges; the catalog: a known voice, a Cartesia
model it works with; rules.py: the Cartesia-only settings); an assistant's stored values are sent as they are.
The text is bounded (MAX_PREVIEW_TEXT_CHARS) and so is the audio (MAX_PREVIEW_AUDIO_BYTES): the audio block
rides beside the answer's text and structured content, which say everything but the sound itself, for hosts
that show a model only text.
"""

from __future__ import annotations

import base64
import io
import wave
from typing import Any, Literal

import anyio
import mcp_types as types
from pydantic import ValidationError

from revox_mcp.answer_bounds import nearest, quoted
from revox_mcp.config import MAX_PREVIEW_AUDIO_BYTES, MAX_PREVIEW_TEXT_CHARS
from revox_mcp.errors import NotFound, PatchInvalid, Problem
from revox_mcp.messages import shorten
from revox_mcp.models import Voice
from revox_mcp.rules import warnings_for
from revox_mcp.tool_models import PreviewVoiceAnswer, PreviewVoiceArgs
from revox_mcp.tools.base import READ_ONLY, ToolAnswer, ToolContext, ToolSpec
from revox_mcp.validation import pydantic_problems

Source = Literal["text", "first_sentence", "stock"]
STOCK_TEXT = "Hello! Thanks for calling. This is how I sound on the phone."
# The voice settings an assistant's voice lends a preview of the same voice, and the arguments that set them.
SETTINGS = ("model", "speed", "volume")
# A problem's path as models.Voice and the catalog name it, and the argument it is about.
_ARGUMENT_OF = {"id": "voice_id", ".voice.id": "voice_id", ".voice.model": "model", ".voice.provider": "provider"}


async def preview_voice(ctx: ToolContext, args: PreviewVoiceArgs) -> ToolAnswer:
    if args.voice_id is None and args.assistant_id is None:
        raise PatchInvalid(
            [
                Problem(
                    path="voice_id",
                    value="no voice_id and no assistant_id",
                    allowed="a voice_id (list_voices shows them), or an assistant_id whose voice to hear",
                )
            ]
        )
    assistant = await ctx.client.get_assistant(args.assistant_id) if args.assistant_id else {}
    stored: dict[str, Any] = assistant["voice"] if isinstance(assistant.get("voice"), dict) else {}
    voice, chosen = await _voice(ctx, args, stored)
    notes = await _checked(ctx, voice, chosen, stored)
    text, source, said = _text(args.text, assistant)
    described = await ctx.catalog.describe_voice(voice)
    try:
        preview = await ctx.client.preview_voice(
            provider=voice["provider"], voice_id=voice["id"], model=voice.get("model"), speed=voice.get("speed"),
            text=text, volume=voice.get("volume"),
        )  # fmt: skip
    except NotFound:
        raise PatchInvalid(
            [Problem("voice_id", shorten(voice["id"]), f"a {voice['provider']} voice the API knows", "list_voices")]
        ) from None
    if preview.note:
        notes.insert(0, preview.note)
    audio = await anyio.to_thread.run_sync(base64.b64encode, preview.audio)
    structured = PreviewVoiceAnswer(
        voice_id=voice["id"], provider=voice["provider"], voice_name=(described or {}).get("name"),
        model=voice.get("model"), speed=voice.get("speed"), volume=voice.get("volume"), text=text, source=source,
        assistant_id=args.assistant_id, mime_type=preview.mime_type, bytes=len(preview.audio),
        seconds=_seconds(preview.audio, preview.mime_type), notes=[*said, *notes],
    ).model_dump()  # fmt: skip
    block = types.AudioContent(type="audio", data=audio.decode("ascii"), mime_type=preview.mime_type)
    return ToolAnswer(structured, _summary(structured), media=(block,))


async def _voice(ctx: ToolContext, args: PreviewVoiceArgs, stored: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The voice to hear with its settings, and the keys of it the agent chose (judged): the assistant's voice
    lends its settings only to a preview of that same voice (its speed was tuned for it)."""
    voice_id = args.voice_id or stored.get("id")
    if not isinstance(voice_id, str):
        raise PatchInvalid(
            [Problem("voice_id", "none", "a voice_id: the assistant has no voice", "list_voices shows them.")]
        )
    provider = args.provider or (stored.get("provider") if voice_id == stored.get("id") else None)
    provider = provider or await _catalog_provider(ctx, voice_id)
    same = voice_id == stored.get("id") and provider == stored.get("provider")
    voice: dict[str, Any] = {"id": voice_id, "provider": provider}
    voice |= {key: stored[key] for key in SETTINGS if same and stored.get(key) is not None}
    given = {key for key in SETTINGS if getattr(args, key) is not None}
    voice |= {key: getattr(args, key) for key in given}
    # The assistant's own voice is not judged (the API took it, perhaps of a provider newer than this release).
    return voice, given | (set() if same else {"id", "provider"})


async def _catalog_provider(ctx: ToolContext, voice_id: str) -> str:
    """The provider of the catalog's voice `voice_id`; refused when none or several have that id."""
    rows = await ctx.catalog.voices()
    providers = sorted({str(r.get("provider")) for r in rows if isinstance(r, dict) and r.get("id") == voice_id})
    if len(providers) == 1:
        return providers[0]
    if providers:
        allowed, hint = f"one of {', '.join(providers)}: each has a voice with this id", "Pass provider."
        raise PatchInvalid([Problem("provider", "none", allowed, hint)])
    ids = [str(r.get("id")) for r in rows if isinstance(r, dict)]
    near = nearest(voice_id, ids)
    hint = f"Closest: {quoted(near)}. list_voices shows them all." if near else "list_voices shows them all."
    raise PatchInvalid([Problem("voice_id", shorten(voice_id), "a voice id in the catalog", hint)])


async def _checked(ctx: ToolContext, voice: dict[str, Any], chosen: set[str], stored: dict[str, Any]) -> list[str]:
    """What the agent chose, judged as update_assistant judges a voice: the SDK's types and per-provider ranges
    (models.Voice), then the catalog (a known voice, a Cartesia model it works with). The notes: the
    Cartesia-only settings sent to another provider, a catalog that could not be fetched."""
    judged = {key: value for key, value in voice.items() if key in chosen or key in ("id", "provider")}
    try:
        Voice.model_validate(judged)
    except ValidationError as exc:
        problems = [p for p in pydantic_problems(exc) if p.path.split(".")[0] in chosen]
        if problems:
            raise PatchInvalid([_about_argument(p) for p in problems]) from None
    try:
        notes = await ctx.catalog.check({"voice": stored}, {}, {"voice": voice}, "")
    except PatchInvalid as exc:
        raise PatchInvalid([_about_argument(p) for p in exc.problems]) from None
    said = warnings_for({"voice": judged}, {})
    return [*notes, *(w.removeprefix("voice.").split(" (A check of revox-mcp", 1)[0] for w in said)]


def _about_argument(problem: Problem) -> Problem:
    """A problem found on the voice object, at the argument it is about (voice.id: voice_id)."""
    path = _ARGUMENT_OF.get(problem.path, problem.path.removeprefix(".voice."))
    return Problem(path, problem.value, problem.allowed, problem.hint)


def _text(text: str | None, assistant: dict[str, Any]) -> tuple[str, Source, list[str]]:
    """What to say, where it came from, and notes about it: the text given; else the assistant's first
    sentence (cut to the bound at a word, if longer); else the stock sentence."""
    if text is not None:
        return text, "text", []
    first = assistant.get("first_sentence")
    if not isinstance(first, str) or not first.strip():
        said = ["The assistant has no first sentence: a stock sentence was spoken."] if assistant else []
        return STOCK_TEXT, "stock", said
    notes = []
    mode = assistant.get("first_sentence_mode")
    if mode == "generated":
        notes.append(
            "first_sentence_mode is 'generated': on calls the model writes the first sentence; this is the stored one."
        )
    elif mode == "none":
        notes.append("first_sentence_mode is 'none': on calls the assistant says no first sentence.")
    if "{{" in first:
        notes.append("Its {{variables}} are spoken as written; pass text to hear them filled in.")
    if len(first) > MAX_PREVIEW_TEXT_CHARS:
        cut = first[:MAX_PREVIEW_TEXT_CHARS].rsplit(" ", 1)[0] or first[:MAX_PREVIEW_TEXT_CHARS]
        notes.append(f"The first sentence is {len(first):,} characters: its first {len(cut):,} were spoken.")
        first = cut
    return first, "first_sentence", notes


def _seconds(audio: bytes, mime_type: str) -> float | None:
    """The length of WAV audio (from its header, or its size where a streamed header does not say); None for
    formats whose length needs decoding."""
    if mime_type not in ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"):
        return None
    try:
        with wave.open(io.BytesIO(audio)) as stream:
            block, rate, frames = (
                stream.getnchannels() * stream.getsampwidth(),
                stream.getframerate(),
                stream.getnframes(),
            )
    except (wave.Error, EOFError):
        return None
    frames = min(frames, len(audio) // block) if block else frames
    return round(frames / rate, 2) if rate else None


def _summary(answer: dict[str, Any]) -> str:
    name = f"'{answer['voice_name']}'" if answer["voice_name"] else answer["voice_id"]
    model = f", {answer['model']}" if answer["model"] else ""
    speed = f"speed {answer['speed']}" if answer["speed"] is not None else "default speed"
    length = f"{answer['seconds']} s of " if answer["seconds"] is not None else ""
    spoken = {"text": "the text given", "first_sentence": "the assistant's first sentence", "stock": "a stock sentence"}
    notes = "".join(f" {n}" for n in answer["notes"])
    return (
        f"Preview of {name} ({answer['provider']}{model}, {speed}): {length}{answer['mime_type']}, "
        f"{answer['bytes']:,} bytes, in the audio block after this text; it says {spoken[answer['source']]}: "
        f"{shorten(answer['text'])}.{notes}"
    )


PREVIEW_VOICE = ToolSpec(
    name="preview_voice",
    title="Preview a voice",
    does="a voice speaking a text or the assistant's first sentence, at a speed, model, volume; as audio",
    description=(
        "Hear a voice as audio: a voice_id, or an assistant's voice and first sentence, with optional speed, "
        "model, volume and text. Changes nothing, but each preview may use the organization's provider credits."
    ),
    args_model=PreviewVoiceArgs,
    answer_model=PreviewVoiceAnswer,
    annotations=READ_ONLY,
    handler=preview_voice,
    bound=(
        f"Text <={MAX_PREVIEW_TEXT_CHARS} characters; audio <={MAX_PREVIEW_AUDIO_BYTES // 1_048_576} MB, beside "
        "a text answer <=16 KB (default)."
    ),
    read_on="Preview a shorter text.",
)
