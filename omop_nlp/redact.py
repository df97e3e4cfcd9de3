"""Masking of secrets in text that may be printed (URLs, driver messages)."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(^|[/\s'\"(])([^:/@\s'\"]*:)[^@\s/'\"]*@")
_PASSWORD_PARAM = re.compile(r"((?:password|passwd|pwd|token|api_key|apikey)\s*=\s*)('[^']*'|[^\s&'\"]+)", re.I)


def mask_text(text: str) -> str:
    """Mask ``user:password@`` (with or without a scheme) and ``password=…`` / ``token=…``."""
    return _PASSWORD_PARAM.sub(r"\1***", _USERINFO.sub(r"\1\2***@", text))
