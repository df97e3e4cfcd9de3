"""omop-nlp: structured findings from radiology reports in an OMOP CDM."""

__version__ = "0.1.0"
NAME = "omop-nlp"
