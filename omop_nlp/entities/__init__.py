"""Stage 1: entity mentions (lesions, diagnoses, locations, episodes) from the lexicon in mappings/."""
