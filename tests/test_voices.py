"""preview_voice through a real MCP client against the sandbox, whose audio espeak-ng synthesizes: the audio
block decodes to real speech, the arguments change it, the defaults are the assistant's, what the agent sets is
judged as update_assistant judges a voice, and the text and structured content stand on their own."""

from __future__ import annotations

import array
import base64
import io
import json
import shutil
import wave
from typing import Any

import mcp_types as types
import pytest
import revox
from mcp_types import CallToolResult
from revox.types import VoicePreviewParams

from bench.load import connect
from revox_mcp.answer_bounds import within_ceiling
from revox_mcp.client import _audio_type
from revox_mcp.config import MAX_PREVIEW_AUDIO_BYTES, MAX_PREVIEW_TEXT_CHARS, Settings
from revox_mcp.http_transport import MCP_PATH, HttpOptions, build_http_app
from revox_mcp.policy import Policy
from revox_mcp.sandbox import SandboxServer
from revox_mcp.sandbox.seed import RECEPTIONIST_ID, REMINDER_ID, SALES_QUALIFIER_ID
from revox_mcp.server import build_server
from revox_mcp.serving import AppServer
from tests.conftest import MODES, add_fault, fast_settings, mcp_client, requests_to, stored, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]
# Only the tests that hear audio need espeak-ng (scripts/setup.sh installs it); the checks before any
# request, and the sandbox's answer without it, run everywhere.
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # ElevenLabs, the receptionist's voice
KATIE = "f786b574-daa5-4673-aa0c-cbe3e8534c02"  # Cartesia, the sales qualifier's
TOKEN = "test-token-0123456789"
READING_LADY = "c2ac25f9-ecc4-4f56-9095-651354df60c0"  # Cartesia, sonic-3.5 only


async def preview(settings: Settings, **arguments: Any) -> CallToolResult:
    async with mcp_client(settings) as client:
        return await client.call_tool("preview_voice", arguments)


def audio_of(result: CallToolResult) -> tuple[types.AudioContent, bytes]:
    assert not result.is_error, text_of(result)
    blocks = [b for b in result.content if isinstance(b, types.AudioContent)]
    assert len(blocks) == 1 and result.content[0].type == "text", "the text first, then one audio block"
    return blocks[0], base64.b64decode(blocks[0].data, validate=True)


def heard(audio: bytes) -> tuple[float, float]:
    """The WAV's length in seconds (from its samples, not only its header) and its loudness (RMS)."""
    with wave.open(io.BytesIO(audio)) as stream:
        assert stream.getsampwidth() == 2 and stream.getnchannels() == 1
        rate, frames = stream.getframerate(), stream.readframes(stream.getnframes())
    samples = array.array("h", frames)
    assert len(samples) == len(frames) // 2 and len(samples) > 0
    rms = (sum(s * s for s in samples) / len(samples)) ** 0.5
    return len(samples) / rate, rms


def previews_sent(sandbox: SandboxServer) -> int:
    return len([r for r in requests_to(sandbox, "POST") if r.path == "/voices/preview"])


@needs_espeak
async def test_the_audio_block_is_real_speech_in_the_assistants_voice(settings: Settings) -> None:
    result = await preview(settings, assistant_id=SALES_QUALIFIER_ID)
    block, audio = audio_of(result)
    seconds, rms = heard(audio)
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and block.mime_type == "audio/wav"
    assert seconds > 1.0 and rms > 300, "speech, not silence"
    answer = result.structured_content
    assert answer is not None
    assert answer["voice_id"] == KATIE and answer["provider"] == "cartesia" and answer["voice_name"] == "Katie"
    assert answer["model"] == "sonic-3" and answer["speed"] == 1.0, "the assistant's own voice settings"
    assert answer["bytes"] == len(audio) and answer["seconds"] == pytest.approx(seconds, abs=0.01)
    assert any("not the provider's" in note for note in answer["notes"]), "the sandbox says the voice is its own"


@needs_espeak
async def test_speed_changes_the_length(settings: Settings) -> None:
    text = "The quick brown fox jumps over the lazy dog, twice, before breakfast."
    slow = heard(audio_of(await preview(settings, voice_id=KATIE, speed=0.6, text=text))[1])[0]
    fast = heard(audio_of(await preview(settings, voice_id=KATIE, speed=1.5, text=text))[1])[0]
    assert slow > 1.5 * fast


@needs_espeak
async def test_volume_changes_the_loudness_on_cartesia(settings: Settings) -> None:
    text = "Loud and soft."
    soft = heard(audio_of(await preview(settings, voice_id=KATIE, volume=0.5, text=text))[1])[1]
    loud = heard(audio_of(await preview(settings, voice_id=KATIE, volume=2.0, text=text))[1])[1]
    assert loud > 2 * soft


@needs_espeak
async def test_the_default_text_is_the_assistants_first_sentence(sandbox: SandboxServer, settings: Settings) -> None:
    first = stored(sandbox, REMINDER_ID)["first_sentence"]
    default = await preview(settings, assistant_id=REMINDER_ID)
    given = await preview(settings, assistant_id=REMINDER_ID, text=first)
    assert audio_of(default)[1] == audio_of(given)[1], "the same words were spoken"
    answer = default.structured_content
    assert answer is not None and answer["text"] == first and answer["source"] == "first_sentence"
    assert answer["speed"] == 1.1, "the assistant's speed"
    notes = " ".join(answer["notes"])
    assert "'generated'" in notes and "{{variables}} are spoken as written" in notes
    stock = (await preview(settings, voice_id=RACHEL)).structured_content
    assert stock is not None and stock["source"] == "stock" and stock["assistant_id"] is None


@needs_espeak
async def test_another_voice_on_an_assistant_keeps_its_sentence_not_its_speed(settings: Settings) -> None:
    result = await preview(settings, assistant_id=RECEPTIONIST_ID, voice_id=KATIE)
    audio_of(result)
    answer = result.structured_content
    assert answer is not None and answer["provider"] == "cartesia", "the provider from the catalog"
    assert answer["speed"] is None, "the receptionist's ElevenLabs speed is not lent to a Cartesia voice"
    assert answer["text"].startswith("Bright Smile Dental Clinic")


async def test_a_speed_out_of_the_providers_range_is_refused_with_the_range(
    sandbox: SandboxServer, settings: Settings
) -> None:
    # The receptionist speaks ElevenLabs: 0.7-1.2, though 1.3 is within the schema's widest range.
    result = await preview(settings, assistant_id=RECEPTIONIST_ID, speed=1.3)
    assert result.is_error
    assert "speed: got 1.3; allowed: speed within 0.7-1.2 for provider 'elevenlabs'" in text_of(result)
    assert previews_sent(sandbox) == 0


async def test_a_cartesia_model_the_voice_does_not_work_with_is_refused(
    sandbox: SandboxServer, settings: Settings
) -> None:
    result = await preview(settings, voice_id=READING_LADY, model="sonic-3")
    assert result.is_error and "- model: got \"sonic-3\"; allowed: 'sonic-3.5'" in text_of(result)
    unknown = await preview(settings, voice_id="f786b574-daa5-4673-aa0c-cbe3e8534c0X")
    assert unknown.is_error and f'Closest: "{KATIE}"' in text_of(unknown)
    nothing = await preview(settings)
    assert nothing.is_error and "voice_id" in text_of(nothing) and "assistant_id" in text_of(nothing)
    assert previews_sent(sandbox) == 0


async def test_an_over_long_text_is_refused_before_anything_is_sent(sandbox: SandboxServer, settings: Settings) -> None:
    result = await preview(settings, voice_id=RACHEL, text="a" * (MAX_PREVIEW_TEXT_CHARS + 1))
    assert result.is_error
    assert f"`text` is {MAX_PREVIEW_TEXT_CHARS + 1} characters long; at most {MAX_PREVIEW_TEXT_CHARS}" in text_of(
        result
    )
    assert previews_sent(sandbox) == 0


@needs_espeak
async def test_the_text_and_structured_content_are_whole_without_the_audio(settings: Settings) -> None:
    result = await preview(settings, voice_id=RACHEL, speed=0.9, text="Good morning!")
    _, audio = audio_of(result)
    text = text_of(result)
    summary, _, body = text.partition("\n")
    assert json.loads(body) == result.structured_content, "the text carries the whole structured content"
    assert "'Rachel' (elevenlabs, speed 0.9)" in summary and f"{len(audio):,} bytes" in summary
    assert "Good morning!" in summary and "not the provider's" in summary
    assert result.structured_content is not None
    assert set(result.structured_content) >= {"voice_id", "provider", "speed", "bytes", "seconds", "source"}


@needs_espeak
async def test_the_answer_ceiling_neither_counts_nor_cuts_the_audio(sandbox: SandboxServer) -> None:
    ceiling = 4_096
    settings = fast_settings(sandbox, max_answer_bytes=ceiling)
    result = await preview(settings, voice_id=KATIE, speed=0.6, text="word " * 50)
    block, audio = audio_of(result)
    assert len(block.data) > 10 * ceiling and heard(audio)[0] > 5
    assert result.structured_content is not None and result.structured_content["bytes"] == len(audio)
    assert "over_ceiling" not in result.structured_content, "the audio is not counted against the ceiling"
    assert len(text_of(result).encode()) <= ceiling


async def test_an_answer_shortened_to_the_ceiling_keeps_its_audio_block() -> None:
    audio = types.AudioContent(
        type="audio", data=base64.b64encode(b"RIFF" + bytes(50_000)).decode(), mime_type="audio/wav"
    )
    structured = {"notes": ["n" * 300] * 40}
    text = f"Summary\n{json.dumps(structured)}"
    result = types.CallToolResult(
        content=[types.TextContent(type="text", text=text), audio], structured_content=structured
    )
    bounded = await within_ceiling(result, 4_096, "ask for less")
    assert bounded.structured_content is not None and "over_ceiling" in bounded.structured_content
    assert len(text_of(bounded).encode()) <= 4_096
    assert bounded.content[1:] == [audio], "the audio block follows the shortened text, whole"


async def test_audio_over_the_cap_is_refused_with_what_to_do(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="POST", path="/voices/preview", status=200, body={"pad": "a" * MAX_PREVIEW_AUDIO_BYTES})
    result = await preview(settings, voice_id=RACHEL, text="Hi.")
    assert result.is_error
    assert f"over {MAX_PREVIEW_AUDIO_BYTES:,} bytes" in text_of(result) and "shorter text" in text_of(result)


async def test_an_answer_that_is_not_audio_is_an_error(sandbox: SandboxServer, settings: Settings) -> None:
    add_fault(sandbox, method="POST", path="/voices/preview", status=200, body={"url": "https://example.com/a.mp3"})
    result = await preview(settings, voice_id=RACHEL, text="Hi.")
    assert result.is_error and "not audio (application/json" in text_of(result)


async def test_without_espeak_the_sandbox_names_the_package(
    sandbox: SandboxServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = await preview(settings, voice_id=RACHEL, text="Hi.")
    assert result.is_error and "espeak-ng, which is not installed" in text_of(result)
    assert "apt-get install espeak-ng" in text_of(result)
    assert previews_sent(sandbox) == 1, "marked not to be retried"


def test_the_audio_type_is_the_apis_or_sniffed() -> None:
    assert _audio_type("audio/mpeg; charset=binary", b"") == "audio/mpeg"
    assert _audio_type("", b"RIFF\x00\x00\x00\x00WAVE") == "audio/wav"
    assert _audio_type("application/octet-stream", b"ID3\x04") == "audio/mpeg"
    assert _audio_type("application/octet-stream", b"\xff\xfb\x90\x00") == "audio/mpeg"
    assert _audio_type("", b"OggS") == "audio/ogg"
    assert _audio_type("application/json", b"RIFF") is None
    assert _audio_type("", b"{}") is None


@needs_espeak
@pytest.mark.parametrize("mode", MODES)
async def test_the_audio_arrives_on_both_protocols_and_in_the_strict_profile(sandbox: SandboxServer, mode: str) -> None:
    settings = fast_settings(sandbox)
    server = build_server(settings, Policy(), "strict")
    nulls = dict.fromkeys(("voice_id", "provider", "speed", "model", "volume", "text"))
    async with mcp_client(settings, mode, server) as client:
        result = await client.call_tool("preview_voice", {**nulls, "assistant_id": SALES_QUALIFIER_ID, "speed": 1.2})
    seconds, rms = heard(audio_of(result)[1])
    assert seconds > 1.0 and rms > 300
    assert result.structured_content is not None and result.structured_content["speed"] == 1.2


async def test_the_assistants_stored_voice_is_sent_as_stored_not_judged(
    sandbox: SandboxServer, settings: Settings
) -> None:
    # A speed the API once took, out of the range the SDK documents now: the agent did not choose it.
    sandbox.store.update(RECEPTIONIST_ID, {"voice": {"id": RACHEL, "provider": "elevenlabs", "speed": 1.35}})
    result = await preview(settings, assistant_id=RECEPTIONIST_ID)
    assert previews_sent(sandbox) == 1, "sent: revox-mcp did not refuse it"
    # The sandbox judges its previews as the SDK types them, so here the API's own refusal comes back.
    assert result.is_error and "The Revox API rejected the request (400)" in text_of(result)


@needs_espeak
async def test_the_body_sent_is_the_one_the_sdk_sends(sandbox: SandboxServer, settings: Settings) -> None:
    """Every argument reaches POST /voices/preview under the SDK's own key (voice_id as voiceId), and the SDK's
    params type has no key preview_voice cannot send."""
    arguments = {"voice_id": KATIE, "provider": "cartesia", "model": "sonic-3.5", "speed": 0.9, "volume": 1.2}
    audio_of(await preview(settings, **arguments, text="Hi."))
    sdk = revox.Revox(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0)
    try:
        sdk.voices.preview(**arguments, text="Hi.")
    finally:
        sdk.close()
    ours, theirs = sandbox.app.state.sandbox.preview_requests
    assert ours == theirs and set(ours) == {"voiceId", "provider", "model", "speed", "volume", "text"}
    assert set(VoicePreviewParams.__annotations__) == {*arguments, "text"}


@needs_espeak
async def test_a_large_preview_arrives_whole_over_streamable_http(settings: Settings) -> None:
    """Over a megabyte of audio (more than a session's resumption store holds) on a live stream."""
    server = AppServer()
    server.app = build_http_app(settings, Policy(), HttpOptions(token=TOKEN, port=server.port), server.port)
    server.start()
    try:
        async with connect(server.url + MCP_PATH, TOKEN) as client:
            result = await client.call_tool("preview_voice", {"voice_id": KATIE, "speed": 0.6, "text": "word " * 58})
    finally:
        server.stop()
    _, audio = audio_of(result)
    assert len(audio) > 1_048_576 and heard(audio)[0] > 20
    assert result.structured_content is not None and result.structured_content["bytes"] == len(audio)


@needs_espeak
async def test_a_long_first_sentence_is_cut_at_a_word_and_an_empty_one_gives_the_stock(
    sandbox: SandboxServer, settings: Settings
) -> None:
    long = "Hello and welcome to Bright Smile, " * 12  # 420 characters
    sandbox.store.update(RECEPTIONIST_ID, {"first_sentence": long, "first_sentence_mode": "none"})
    answer = (await preview(settings, assistant_id=RECEPTIONIST_ID)).structured_content
    assert answer is not None and answer["source"] == "first_sentence"
    assert len(answer["text"]) <= MAX_PREVIEW_TEXT_CHARS and long.startswith(answer["text"] + " ")
    notes = " ".join(answer["notes"])
    assert "'none'" in notes and f"is {len(long)} characters: its first {len(answer['text'])} were spoken" in notes
    sandbox.store.update(RECEPTIONIST_ID, {"first_sentence": "  "})
    empty = (await preview(settings, assistant_id=RECEPTIONIST_ID)).structured_content
    assert empty is not None and empty["source"] == "stock" and "no first sentence" in " ".join(empty["notes"])
