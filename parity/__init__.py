"""Numerical parity of cxralign's zoo adapters against the authors' own packages (``make parity``).

Each check has two halves. The upstream half runs in a virtual environment holding the
authors' package (it never imports cxralign, so packages that pin an old transformers can
have their own environment): it builds the upstream model with random weights, saves it in
the published layout and writes the upstream outputs to ``upstream.npz``. The cxralign half
loads that checkpoint through the zoo spec and compares. Nothing downloads weights.
"""
