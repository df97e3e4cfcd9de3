-- OMOP CDM v5.4 tables that omop-nlp reads (NOTE, CONCEPT, PERSON) and, with --cdm-facts,
-- writes (CONDITION_OCCURRENCE, OBSERVATION, EPISODE, EPISODE_EVENT). Columns and types follow
-- the OHDSI CommonDataModel v5.4 DDL, in SQLite types. Created only where missing. An index here is
-- created only on a table this file created (init-db never alters an existing CDM table).
-- SQLite has no schemas: the embedded CDM is one database file.

CREATE TABLE IF NOT EXISTS person (
    person_id integer NOT NULL PRIMARY KEY,
    gender_concept_id integer NOT NULL,
    year_of_birth integer NOT NULL,
    month_of_birth integer NULL,
    day_of_birth integer NULL,
    birth_datetime timestamp NULL,
    race_concept_id integer NOT NULL,
    ethnicity_concept_id integer NOT NULL,
    location_id integer NULL,
    provider_id integer NULL,
    care_site_id integer NULL,
    person_source_value varchar(50) NULL,
    gender_source_value varchar(50) NULL,
    gender_source_concept_id integer NULL,
    race_source_value varchar(50) NULL,
    race_source_concept_id integer NULL,
    ethnicity_source_value varchar(50) NULL,
    ethnicity_source_concept_id integer NULL
);

CREATE TABLE IF NOT EXISTS note (
    note_id integer NOT NULL PRIMARY KEY,
    person_id integer NOT NULL,
    note_date date NOT NULL,
    note_datetime timestamp NULL,
    note_type_concept_id integer NOT NULL,
    note_class_concept_id integer NOT NULL,
    note_title varchar(250) NULL,
    note_text text NOT NULL,
    encoding_concept_id integer NOT NULL,
    language_concept_id integer NOT NULL,
    provider_id integer NULL,
    visit_occurrence_id integer NULL,
    visit_detail_id integer NULL,
    note_source_value varchar(50) NULL,
    note_event_id bigint NULL,
    note_event_field_concept_id integer NULL
);

CREATE TABLE IF NOT EXISTS concept (
    concept_id integer NOT NULL PRIMARY KEY,
    concept_name varchar(255) NOT NULL,
    domain_id varchar(20) NOT NULL,
    vocabulary_id varchar(20) NOT NULL,
    concept_class_id varchar(20) NOT NULL,
    standard_concept varchar(1) NULL,
    concept_code varchar(50) NOT NULL,
    valid_start_date date NOT NULL,
    valid_end_date date NOT NULL,
    invalid_reason varchar(1) NULL
);

CREATE INDEX IF NOT EXISTS idx_concept_code ON concept (concept_code);

-- The vocabulary of the site-local concepts `init-db --local-concepts` adds (omop-nlp).
CREATE TABLE IF NOT EXISTS vocabulary (
    vocabulary_id varchar(20) NOT NULL PRIMARY KEY,
    vocabulary_name varchar(255) NOT NULL,
    vocabulary_reference varchar(255) NULL,
    vocabulary_version varchar(255) NULL,
    vocabulary_concept_id integer NOT NULL
);

CREATE TABLE IF NOT EXISTS condition_occurrence (
    condition_occurrence_id integer NOT NULL PRIMARY KEY,
    person_id integer NOT NULL,
    condition_concept_id integer NOT NULL,
    condition_start_date date NOT NULL,
    condition_start_datetime timestamp NULL,
    condition_end_date date NULL,
    condition_end_datetime timestamp NULL,
    condition_type_concept_id integer NOT NULL,
    condition_status_concept_id integer NULL,
    stop_reason varchar(20) NULL,
    provider_id integer NULL,
    visit_occurrence_id integer NULL,
    visit_detail_id integer NULL,
    condition_source_value varchar(50) NULL,
    condition_source_concept_id integer NULL,
    condition_status_source_value varchar(50) NULL
);

CREATE TABLE IF NOT EXISTS observation (
    observation_id integer NOT NULL PRIMARY KEY,
    person_id integer NOT NULL,
    observation_concept_id integer NOT NULL,
    observation_date date NOT NULL,
    observation_datetime timestamp NULL,
    observation_type_concept_id integer NOT NULL,
    value_as_number numeric NULL,
    value_as_string varchar(60) NULL,
    value_as_concept_id integer NULL,
    qualifier_concept_id integer NULL,
    unit_concept_id integer NULL,
    provider_id integer NULL,
    visit_occurrence_id integer NULL,
    visit_detail_id integer NULL,
    observation_source_value varchar(50) NULL,
    observation_source_concept_id integer NULL,
    unit_source_value varchar(50) NULL,
    qualifier_source_value varchar(50) NULL,
    value_source_value varchar(50) NULL,
    observation_event_id bigint NULL,
    obs_event_field_concept_id integer NULL
);

CREATE TABLE IF NOT EXISTS episode (
    episode_id bigint NOT NULL PRIMARY KEY,
    person_id bigint NOT NULL,
    episode_concept_id integer NOT NULL,
    episode_start_date date NOT NULL,
    episode_start_datetime timestamp NULL,
    episode_end_date date NULL,
    episode_end_datetime timestamp NULL,
    episode_parent_id bigint NULL,
    episode_number integer NULL,
    episode_object_concept_id integer NOT NULL,
    episode_type_concept_id integer NOT NULL,
    episode_source_value varchar(50) NULL,
    episode_source_concept_id integer NULL
);

CREATE TABLE IF NOT EXISTS episode_event (
    episode_id bigint NOT NULL,
    event_id bigint NOT NULL,
    episode_event_field_concept_id integer NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_episode_event_episode ON episode_event (episode_id);
