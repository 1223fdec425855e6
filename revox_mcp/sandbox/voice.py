"""The sandbox's POST /voices/preview: real audio, synthesized on this machine with espeak-ng.

The body is checked as the SDK's VoicePreviewParams types it (provider and voiceId required, the voice's
speed range per provider as models.Voice judges it, unknown keys refused), and the voice must be in the
sandbox's catalog. The voice is espeak-ng's, picked by the catalog voice's language and gender, never the
provider's: the answer says so in its X-Sandbox-Note header. Speed maps to espeak-ng's words per minute,
volume (Cartesia only, as the SDK says) to its amplitude.

The SDK states no audio format for the answer (it sends Accept: */* and reads bytes); the sandbox answers
WAV (`audio/wav`, 16-bit mono PCM), the one format Python's standard library writes. espeak-ng runs as a
subprocess (never on the event loop), with its text on stdin (never an argument: a text starting with '-'
is no option), bounded in time and in the bytes read from it. Where espeak-ng is not installed the answer
is a 503 that names the package, marked not to be retried.
"""

from __future__ import annotations

import io
import shutil
import wave
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse, Response

from revox_mcp.models import Voice

ESPEAK = "espeak-ng"
NOTE_HEADER = "X-Sandbox-Note"
NOTE = (
    "Sandbox audio: espeak-ng's voice synthesized on this machine, not the provider's; only the text, speed and "
    "volume are as asked. The real API answers the provider's own voice."
)
MISSING = (
    "The sandbox synthesizes voice previews with espeak-ng, which is not installed on this machine: install the "
    "Debian package espeak-ng (apt-get install espeak-ng, or run ./scripts/setup.sh as root)."
)
# What the API speaks when no text is sent ("If omitted, a short default is used").
DEFAULT_TEXT = "Hello! This is a short preview of my voice."
# The sandbox's own bounds on one synthesis: the text it takes, the time espeak-ng may run, the audio it reads.
MAX_TEXT_CHARS = 1_000
TIMEOUT_S = 20.0
MAX_AUDIO_BYTES = 8 * 1_048_576
NORMAL_WPM = 175
# espeak-ng voice variants by the catalog voice's gender (its default voice is male).
_VARIANTS = {"female": "+f3", "male": "+m3"}
_LANGUAGES = frozenset({"en", "fr", "es", "de", "it", "pt", "ru", "zh"})


class PreviewBody(BaseModel):
    """POST /voices/preview's body, as the SDK's VoicePreviewParams types it (the JSON key of voice_id is
    voiceId); the per-provider ranges are models.Voice's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    provider: str
    voice_id: str = Field(alias="voiceId")
    model: str | None = None
    speed: float | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    volume: float | None = None


class SynthesisFailed(Exception):
    """espeak-ng did not give audio (it failed, ran too long, or gave too much)."""


def espeak_installed() -> bool:
    return shutil.which(ESPEAK) is not None


def espeak_voice(language: Any, gender: Any) -> str:
    """The espeak-ng voice for a catalog voice: its language (English where espeak-ng has no match), its
    gender's variant."""
    code = str(language) if language in _LANGUAGES else "en"
    return f"{'cmn' if code == 'zh' else code}{_VARIANTS.get(str(gender), '')}"


async def synthesize(text: str, *, voice: str, speed: float = 1.0, volume: float = 1.0) -> bytes:
    """WAV bytes of espeak-ng speaking `text`: at `speed` times its normal rate, `volume` times its normal
    amplitude. Raises SynthesisFailed."""
    command = [ESPEAK, "--stdin", "-v", voice, "-s", str(round(NORMAL_WPM * speed)), "-a", str(round(100 * volume))]
    command.append("--stdout")
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(TIMEOUT_S) as scope:
        async with await anyio.open_process(command, stdin=-1, stdout=-1, stderr=-3) as process:
            assert process.stdin is not None and process.stdout is not None
            await process.stdin.send(text.encode())
            await process.stdin.aclose()
            async for chunk in process.stdout:
                size += len(chunk)
                if size > MAX_AUDIO_BYTES:
                    process.kill()
                    raise SynthesisFailed(f"espeak-ng gave more than {MAX_AUDIO_BYTES:,} bytes")
                chunks.append(chunk)
            code = await process.wait()
    if scope.cancelled_caught:
        raise SynthesisFailed(f"espeak-ng ran over {TIMEOUT_S:g} s")
    if code != 0:
        raise SynthesisFailed(f"espeak-ng exited with status {code}")
    return await anyio.to_thread.run_sync(rewrap, b"".join(chunks))


def rewrap(raw: bytes) -> bytes:
    """A WAV file with its true length: espeak-ng writing to a pipe cannot go back to fill the lengths in
    its header, so they say 'unknown' (0x7fffffff); the samples are read after the header and written
    again with `wave`."""
    with wave.open(io.BytesIO(raw)) as stream:
        channels, width, rate = stream.getnchannels(), stream.getsampwidth(), stream.getframerate()
        # readframes stops at the end of the data, whatever the header claims.
        frames = stream.readframes(len(raw))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status)


def _checked(body: Any) -> PreviewBody | JSONResponse:
    """The body as the API takes it, or its 400 (the first problem's field named)."""
    try:
        params = PreviewBody.model_validate(body)
        # The SDK's Literal types and documented ranges, per provider, as update_assistant judges a voice.
        voice = {"id": params.voice_id, "provider": params.provider}
        voice |= {k: v for k in ("model", "speed", "volume") if (v := getattr(params, k)) is not None}
        Voice.model_validate(voice)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        where = ".".join(str(p) for p in errors[0]["loc"])
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return _error(400, message, field="voiceId" if where == "id" else where)
    return params


async def preview_voice(body: Any, voices: list[dict[str, Any]]) -> Response:
    """The answer to POST /voices/preview with `body`, for a sandbox whose catalog is `voices`."""
    params = _checked(body)
    if isinstance(params, JSONResponse):
        return params
    found = next((v for v in voices if v["id"] == params.voice_id and v["provider"] == params.provider), None)
    if found is None:
        return _error(404, "Voice not found")
    text = params.text if params.text is not None else DEFAULT_TEXT
    if not text.strip():
        return _error(400, "text: must not be empty", field="text")
    if not espeak_installed():
        return _missing()
    # Volume is a Cartesia setting ("Ignored for other providers"), as is model.
    volume = params.volume if params.provider == "cartesia" and params.volume is not None else 1.0
    voice = espeak_voice(found.get("language"), found.get("gender"))
    try:
        audio = await synthesize(text, voice=voice, speed=params.speed or 1.0, volume=volume)
    except (SynthesisFailed, wave.Error, EOFError) as exc:
        return _error(500, f"The sandbox could not synthesize the preview: {exc}.")
    return Response(audio, media_type="audio/wav", headers={NOTE_HEADER: NOTE})


def _missing() -> JSONResponse:
    response = _error(503, MISSING)
    response.headers["x-should-retry"] = "false"
    return response
