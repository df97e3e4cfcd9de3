"""Text layer: tokens with offsets into the original note, sections and sentences."""
