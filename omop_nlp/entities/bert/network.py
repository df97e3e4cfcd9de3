"""The stage-1 network: a BERT-family encoder, label-wise token attention, a feed-forward head.

For each entity key k the head scores every token t of the window,

    s[t, k] = u_k · tanh(W h_t + b)          (token-wise attention, one query per key)
    a[:, k] = softmax over the *real* tokens of s[:, k]   (padding gets zero weight)
    p_k     = sigmoid(w_k · GELU(V (Σ_t a[t, k] h_t) + c) + d_k)

so each key pools the tokens that speak for it ("effusion" for pleural_effusion) instead of a
single [CLS] vector. The attention mask is applied twice: inside the encoder and in the
pooling softmax, so a window scores the same alone or padded in a batch (the reference code
pooled over padding too). Multi-label: one independent sigmoid per key.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
from torch import nn

from omop_nlp.entities.bert.config import (
    ENCODER_DIR,
    HEAD_FILE,
    BertConfig,
    BertModelError,
    offline,
    quiet_transformers,
)


class KeyClassifierNet(nn.Module):
    def __init__(self, encoder: nn.Module, num_keys: int, attention_dim: int = 256, head_dim: int = 512,
                 dropout: float = 0.1) -> None:  # fmt: skip
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.attention = nn.Linear(hidden, attention_dim)
        self.queries = nn.Linear(attention_dim, num_keys, bias=False)
        self.feed_forward = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(hidden, head_dim), nn.GELU(), nn.Dropout(dropout))
        self.out_weight = nn.Parameter(torch.empty(num_keys, head_dim))
        self.out_bias = nn.Parameter(torch.zeros(num_keys))
        nn.init.xavier_uniform_(self.out_weight)
        self._token_types = "token_type_ids" in inspect.signature(encoder.forward).parameters

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits (batch, keys)."""
        hidden = self.encode(input_ids, attention_mask)
        real = attention_mask.bool()
        scores = self.queries(torch.tanh(self.attention(hidden)))  # (B, T, K)
        lowest = torch.finfo(scores.dtype).min
        scores = scores.masked_fill(~real.unsqueeze(-1), lowest)
        weights = torch.softmax(scores, dim=1)  # over tokens
        pooled = torch.matmul(weights.transpose(1, 2), hidden)  # (B, K, H)
        features = self.feed_forward(pooled)  # (B, K, D)
        return (features * self.out_weight).sum(-1) + self.out_bias

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # A 4-D additive mask is used by the encoder as given: the 2-D path of transformers'
        # mask utilities takes data-dependent shortcuts that a traced ONNX graph would freeze.
        dtype = self.out_weight.dtype
        real = attention_mask.bool()[:, None, None, :]
        additive = torch.zeros(real.shape, dtype=dtype, device=input_ids.device).masked_fill(
            ~real, torch.finfo(dtype).min)
        kwargs = {"token_type_ids": torch.zeros_like(input_ids)} if self._token_types else {}
        return self.encoder(input_ids=input_ids, attention_mask=additive, **kwargs).last_hidden_state

    def head_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if not k.startswith("encoder.")}


class ProbabilityNet(nn.Module):
    """What is exported: ``(input_ids, attention_mask) -> probs`` (batch, keys)."""

    def __init__(self, net: KeyClassifierNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(input_ids, attention_mask))


def load_encoder(path: Path | str, attn_implementation: str = "sdpa") -> nn.Module:
    """Any local Hugging Face encoder folder (BERT, RoBERTa, ...); never downloads."""
    offline()
    from transformers import AutoModel

    quiet_transformers()

    path = Path(path)
    if not (path / "config.json").is_file():
        raise BertModelError(f"{path}: not a Hugging Face model folder (no config.json)")
    kwargs = {"local_files_only": True, "attn_implementation": attn_implementation}
    try:
        return AutoModel.from_pretrained(path, add_pooling_layer=False, **kwargs)
    except TypeError:  # encoders without a pooler
        return AutoModel.from_pretrained(path, **kwargs)


def save_trained(net: KeyClassifierNet, folder: Path) -> None:
    from safetensors.torch import save_file

    net.encoder.save_pretrained(folder / ENCODER_DIR, safe_serialization=True)
    save_file(net.head_state(), str(folder / HEAD_FILE))


def load_trained(folder: Path | str, config: BertConfig, attn_implementation: str = "sdpa") -> KeyClassifierNet:
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / HEAD_FILE).is_file():
        raise BertModelError(f"{folder}: no trained weights ({HEAD_FILE}); run omop-nlp train-bert first")
    encoder = load_encoder(folder / ENCODER_DIR, attn_implementation)
    net = KeyClassifierNet(encoder, len(config.keys), config.attention_dim, config.head_dim)
    missing, unexpected = net.load_state_dict(load_file(str(folder / HEAD_FILE)), strict=False)
    if unexpected or any(not k.startswith("encoder.") for k in missing):
        raise BertModelError(f"{folder}: head weights do not match the config ({len(unexpected)} unexpected)")
    return net.eval()
