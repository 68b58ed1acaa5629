"""Small shared helpers: atomic writes, hashing, progress bars."""
