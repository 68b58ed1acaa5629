"""Command groups of the ``cxralign`` CLI, one module each, each with ``register(app)``."""
