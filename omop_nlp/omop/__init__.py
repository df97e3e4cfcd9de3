"""The OMOP CDM side: table definitions, connections, DDL, concept resolution, ledger, ``run``."""
