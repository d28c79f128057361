"""Further HS3 types: lineshapes, binned (bin-count) distributions, interpolation and histogram functions.

Example:
    >>> import firmc.frontends.hs3.types_extra
"""
