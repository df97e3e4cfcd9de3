"""Stage 1, learned: a BERT multi-label entity-key classifier trained on a site's own notes.

The paper's stage 1 (a BERT encoder with a token-wise attention layer and a dense layer,
fine-tuned on keyword-labelled reports) with the engine as the labeller: its lexicon *and* its
assertion, so a negated mention is a negative label. See docs/bert.md.

Modules, in the order the data flows:

- ``config``: the model folder layout and its ``config.json`` (no torch).
- ``windows``: note text -> token windows with the model's own tokenizer (no torch).
- ``labels``: weak labels from the rule pipeline, gold reports, the splits (no torch).
- ``network``: the torch module (encoder + masked label-wise attention pooling + feed-forward head).
- ``options``: ``TrainOptions``, what a training run is given (no torch).
- ``train``: ``train_from_notes`` (``omop-nlp train-bert``), ``train_model``; ``card``: metrics and the model card.
- ``export``: ONNX (legacy exporter, opset 17) + dynamic int8, with the parity check.
- ``runtime``: onnxruntime inference, length-bucketed (no torch).
- ``combine``: how stage-1 probabilities combine with the lexicon in ``Pipeline``.

torch and transformers are needed to train and export (the ``[bert]`` extra); running a trained
model needs onnxruntime, tokenizers and numpy only.
"""
