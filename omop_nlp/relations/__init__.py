"""Stage 2: relations. Lesion -> locations (chest CT), malignant diagnosis -> episodes (brain MRI)."""
