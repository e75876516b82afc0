"""Structured logs: with LOG_FORMAT=json every log line is one JSON object.

Significant events are logged through ``log_event(logger, "sync.finished", connection_id=..., ...)``: the
event name and its fields become keys of the JSON line (and ``key=value`` pairs in plain logs). Callers pass
ids, counts, states and reasons only, never names, e-mail addresses or other personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

# Attributes every LogRecord has; anything else on a record came from ``extra`` and goes into the line.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, plus the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields) -> None:
    """Log one significant event with its fields (ids, counts, states, reasons: no personal data)."""
    summary = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.log(level, f"{event} {summary}".strip(), extra={"event": event, **fields})
