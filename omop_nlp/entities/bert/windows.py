"""Note text -> token windows, with the tokenizer saved in the model folder (Rust ``tokenizers``).

A note longer than one window is cut into overlapping windows of ``max_length`` tokens
(``stride`` shared); the classifier scores every window and a key's probability for the note
is its maximum over the windows (the key is present if some part of the note says so).
Training uses the same windows and the same maximum, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omop_nlp.entities.bert.config import TOKENIZER_DIR, TOKENIZER_FILE, BertConfig, BertModelError

# A window rarely holds more than this many characters per token; text past
# max_windows windows is cut before tokenizing so a huge note costs no more than a long one.
_CHARS_PER_TOKEN_BOUND = 12


@dataclass(frozen=True)
class Windows:
    """The windows of a list of notes: ``ids[i]`` are the token ids of window i of note ``owner[i]``."""

    ids: list[np.ndarray]
    owner: np.ndarray  # int64, one per window
    notes: int

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(w) for w in self.ids), dtype=np.int64, count=len(self.ids))


class WindowTokenizer:
    def __init__(self, tokenizer_file: Path, config: BertConfig) -> None:
        from tokenizers import Tokenizer

        if not tokenizer_file.is_file():
            raise BertModelError(f"{tokenizer_file}: missing (the model folder has no tokenizer)")
        self.config = config
        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.no_padding()
        self._tok.enable_truncation(config.max_length, stride=config.stride)
        self._char_budget = config.max_windows * max(1, config.max_length - config.stride) * _CHARS_PER_TOKEN_BOUND

    @classmethod
    def from_model_dir(cls, folder: Path, config: BertConfig) -> WindowTokenizer:
        return cls(folder / TOKENIZER_DIR / TOKENIZER_FILE, config)

    def windows(self, texts: list[str], max_windows: int | None = None) -> Windows:
        limit = max_windows or self.config.max_windows
        encodings = self._tok.encode_batch([t[: self._char_budget] for t in texts])
        ids: list[np.ndarray] = []
        owner: list[int] = []
        for n, encoding in enumerate(encodings):
            for window in [encoding, *encoding.overflowing][:limit]:
                ids.append(np.asarray(window.ids, dtype=np.int64))
                owner.append(n)
        return Windows(ids, np.asarray(owner, dtype=np.int64), len(texts))


def pad_batch(windows: list[np.ndarray], pad_id: int, multiple: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded ``input_ids`` and ``attention_mask`` (int64), length rounded up to ``multiple``."""
    longest = max(len(w) for w in windows)
    length = -(-longest // multiple) * multiple if multiple > 1 else longest
    input_ids = np.full((len(windows), length), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(windows), length), dtype=np.int64)
    for row, window in enumerate(windows):
        input_ids[row, : len(window)] = window
        attention_mask[row, : len(window)] = 1
    return input_ids, attention_mask


def length_buckets(lengths: np.ndarray, batch_size: int, max_batch_tokens: int | None = None) -> list[np.ndarray]:
    """Window indices grouped by similar length (sorted), at most ``batch_size`` windows and
    about ``max_batch_tokens`` padded tokens a batch: padding is what a sorted order saves."""
    order = np.argsort(lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        end = min(start + batch_size, len(order))
        if max_batch_tokens:
            # sorted ascending: the batch's longest window is its last one
            while end - start > 1 and lengths[order[end - 1]] * (end - start) > max_batch_tokens:
                end -= 1
        batches.append(order[start:end])
        start = end
    return batches


def note_probabilities(windows: Windows, keys: int, pad_id: int, run: Callable[[np.ndarray, np.ndarray], np.ndarray],
                       batch_size: int, max_batch_tokens: int | None = None) -> np.ndarray:  # fmt: skip
    """(notes, keys): ``run(input_ids, attention_mask)`` on padded, length-bucketed batches of the
    windows, then each note's maximum over its windows. Torch and ONNX inference both score this way."""
    probs = np.empty((len(windows.ids), keys), dtype=np.float32)
    for batch in length_buckets(windows.lengths, batch_size, max_batch_tokens):
        probs[batch] = run(*pad_batch([windows.ids[i] for i in batch], pad_id))
    return max_over_windows(probs, windows.owner, windows.notes)


def max_over_windows(window_probs: np.ndarray, owner: np.ndarray, notes: int) -> np.ndarray:
    """(windows, keys) -> (notes, keys): a key's note probability is its highest window's."""
    out = np.zeros((notes, window_probs.shape[1]), dtype=window_probs.dtype)
    np.maximum.at(out, owner, window_probs)
    return out
