"""The ``omop-nlp`` command line: wires sources, the pipeline and sinks; no logic of its own."""

from omop_nlp.cli.app import app, main

__all__ = ["app", "main"]
