-- omop-nlp's own tables, in the results schema. `omop-nlp run` creates them where missing.

-- One row per (note, nlp_system): what was done with the note, and the hash of the text it saw,
-- so that a later run skips done notes and reprocesses changed ones.
CREATE TABLE IF NOT EXISTS @results_schema.omop_nlp_ledger (
    note_id bigint NOT NULL,
    nlp_system varchar(250) NOT NULL,
    text_hash varchar(64) NULL,
    status varchar(16) NOT NULL,
    error varchar(250) NULL,
    run_id varchar(36) NULL,
    processed_at timestamp NULL,
    facts varchar(1) NULL,  -- 'Y': the note's CDM facts are written (run --cdm-facts)
    PRIMARY KEY (note_id, nlp_system)
);

CREATE INDEX IF NOT EXISTS idx_omop_nlp_ledger_system ON @results_schema.omop_nlp_ledger (nlp_system, status);

-- Which CDM clinical rows (--cdm-facts) came from which note and nlp_system: CONDITION_OCCURRENCE,
-- OBSERVATION and EPISODE have no note_id column, and replace/unload must find exactly our rows.
CREATE TABLE IF NOT EXISTS @results_schema.omop_nlp_fact (
    table_name varchar(40) NOT NULL,
    row_id bigint NOT NULL,
    note_id bigint NOT NULL,
    nlp_system varchar(250) NOT NULL,
    PRIMARY KEY (table_name, row_id)
);

CREATE INDEX IF NOT EXISTS idx_omop_nlp_fact_note ON @results_schema.omop_nlp_fact (nlp_system, note_id);

-- Row ids: sequences cannot hand the same id to two concurrent runs; each run moves a sequence
-- past the table's max(id) before use, so rows written by others are never collided with.
CREATE SEQUENCE IF NOT EXISTS @results_schema.omop_nlp_note_nlp_seq;
CREATE SEQUENCE IF NOT EXISTS @results_schema.omop_nlp_condition_occurrence_seq;
CREATE SEQUENCE IF NOT EXISTS @results_schema.omop_nlp_observation_seq;
CREATE SEQUENCE IF NOT EXISTS @results_schema.omop_nlp_episode_seq;
