"""Registration-card (carte grise) OCR (to be built)."""
