-- NOTE_NLP (OMOP CDM v5.4), in the results schema (--results-schema, default the CDM schema).
-- "offset" is quoted: OFFSET is a reserved word.

CREATE TABLE IF NOT EXISTS @results_schema.note_nlp (
    note_nlp_id integer NOT NULL PRIMARY KEY,
    note_id integer NOT NULL,
    section_concept_id integer NULL,
    snippet varchar(250) NULL,
    "offset" varchar(50) NULL,
    lexical_variant varchar(250) NOT NULL,
    note_nlp_concept_id integer NULL,
    note_nlp_source_concept_id integer NULL,
    nlp_system varchar(250) NULL,
    nlp_date date NOT NULL,
    nlp_datetime timestamp NULL,
    term_exists varchar(1) NULL,
    term_temporal varchar(50) NULL,
    term_modifiers varchar(2000) NULL
);

-- Replacing one note's rows deletes by (note_id, nlp_system): keep that an index lookup.
CREATE INDEX IF NOT EXISTS idx_note_nlp_note_id_1 ON @results_schema.note_nlp (note_id);
CREATE INDEX IF NOT EXISTS idx_note_nlp_concept_id_1 ON @results_schema.note_nlp (note_nlp_concept_id);
