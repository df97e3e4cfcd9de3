"""Every error omop-nlp raises on purpose, in one hierarchy with stable codes.

``OmopNlpError`` has four kinds, each with its own code range (like spaCy's coded errors, the
code is stable across releases: search the docs or the issue tracker for it):

- ``UsageError`` (E1xx): the command or call is wrong (a missing option, a bad value, a file that
  is not there). The command line prints one line and exits 2.
- ``ConfigurationError`` (E2xx): a setting or a data file cannot work (a mappings file, the LLM,
  FHIR or BERT settings). One line, exit 2.
- ``DatabaseError`` (E3xx): the database cannot be used (URL, connection, privileges, missing
  tables). The run stops at once: one line, exit 2.
- ``NoteSkipped`` (E4xx): one note cannot be processed. The run records it with its ``reason``
  (a stable short code for ledgers and summaries) and goes on with the next note.

``InternalError`` (E9xx) is a bug of omop-nlp itself (an invalid FHIR resource was built).

Messages never contain note text or patient identifiers, and ``NoteSkipped`` never chains the
exception it replaces (its message could quote the note).
"""

from __future__ import annotations

from typing import ClassVar


class OmopNlpError(Exception):
    """Base of every error omop-nlp raises on purpose; ``code`` is stable, the message is one line."""

    code: ClassVar[str] = "E000"


class UsageError(OmopNlpError):
    """The command or the call is wrong; the user fixes the arguments."""

    code = "E100"


class JsonlError(UsageError, ValueError):
    """A JSONL file that cannot be read; names the file and line, never the line's text."""

    code = "E101"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}: line {line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class ConfigurationError(OmopNlpError):
    """A setting or a data file that cannot work; found when the pipeline or a sink is built."""

    code = "E200"


class MappingError(ConfigurationError, ValueError):
    """A mappings file is missing or malformed; the message names the file, the line and the key path."""

    code = "E201"


class LlmConfigError(ConfigurationError, ValueError):
    """An LLM setting that cannot work (missing URL, unknown mode, vllm not installed)."""

    code = "E202"


class FhirConfigError(ConfigurationError, ValueError):
    """A FHIR output setting that cannot work (URL, token variable, config file)."""

    code = "E203"


class BertModelError(ConfigurationError, ValueError):
    """A stage-1 model folder that cannot be used (missing files, wrong format)."""

    code = "E204"


class WorkerStartError(ConfigurationError):
    """Worker processes (``--workers N``) end before any of them is ready: their pipeline cannot be
    built there, or the interpreter cannot start them. Their own error is on stderr above."""

    code = "E205"


class DatabaseError(OmopNlpError):
    """A database the user pointed at cannot be used; the message is one line, password masked."""

    code = "E300"


class NoteSkipped(OmopNlpError):
    """A note that cannot be processed; ``reason`` is a short stable code for ledgers and summaries.

    Reasons: ``empty_text``, ``invalid_encoding``, ``invalid_text``, ``too_long``,
    ``unknown_modality``, ``fhir_no_person``, ``fhir_unknown_key``, ``internal_error``; the
    OMOP source and the runner add ``note_deleted`` and their own read-time reasons.
    """

    code = "E400"

    def __init__(self, reason: str, detail: str = "", report_id: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.report_id = report_id


class NoteFailed(NoteSkipped):
    """An unexpected exception while processing one note (reason ``internal_error``).

    ``error_class`` names the exception; its message and traceback are dropped, since they could
    quote the note. The runner records such a note as failed, so the next run retries it.
    """

    code = "E401"

    def __init__(self, error: BaseException, report_id: str | None = None) -> None:
        self.error_class = error.__class__.__name__
        super().__init__("internal_error", self.error_class, report_id)


class InternalError(OmopNlpError):
    """A bug of omop-nlp, never caused by the user's data or settings."""

    code = "E900"


class FhirValidationError(InternalError, ValueError):
    """A built resource is not valid R4: a bug in the mapping, never caused by note text."""

    code = "E901"
