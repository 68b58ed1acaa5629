"""Data sources: report corpora, phantom radiographs and image loading."""
