"""The physics vocabulary as IR builders, written once and shared by every front-end.

Example:
    >>> from firmc.library import shapes
    >>> shapes.gaussian.__name__
    'gaussian'
"""
