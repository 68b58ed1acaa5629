"""Built-in adapters, one module per model family; imported lazily by the spec parser."""
