"""IR -> IR passes, listed in one pipeline (:mod:`firmc.passes.pipeline`).

Example:
    >>> from firmc.passes.pipeline import PIPELINE
    >>> [p.name for p in PIPELINE][:1]
    ['normalise']
"""
