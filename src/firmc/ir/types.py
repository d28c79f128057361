"""IR types: a dtype (real, complex, int, bool) and a variability (const, param, event).

Example:
    >>> Type(DType.REAL, Var.EVENT)
    real/event
    >>> promote(DType.INT, DType.REAL)
    <DType.REAL: 'real'>
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DType(enum.Enum):
    """Element type of a value: float64, complex128, int64 or bool.

    Example:
        >>> DType("complex").numpy
        'complex128'
    """

    BOOL = "bool"
    INT = "int"
    REAL = "real"
    COMPLEX = "complex"

    __hash__ = object.__hash__  # members are singletons; the default Enum hash is slow Python code

    @property
    def rank(self) -> int:
        """Position in the promotion order bool < int < real < complex.

        Example:
            >>> DType.INT.rank < DType.REAL.rank
            True
        """
        return _RANK[self]

    @property
    def numpy(self) -> str:
        """The NumPy dtype name of this type.

        Example:
            >>> DType.REAL.numpy
            'float64'
        """
        return _NUMPY[self]


_RANK = {DType.BOOL: 0, DType.INT: 1, DType.REAL: 2, DType.COMPLEX: 3}
_NUMPY = {DType.BOOL: "bool", DType.INT: "int64", DType.REAL: "float64", DType.COMPLEX: "complex128"}


class Var(enum.Enum):
    """Variability: a compile-time constant, one value per evaluation, or one value per event.

    Example:
        >>> max(Var.CONST, Var.EVENT)
        <Var.EVENT: 'event'>
    """

    CONST = "const"
    PARAM = "param"
    EVENT = "event"

    __hash__ = object.__hash__

    def __lt__(self, other: Var) -> bool:
        return _VRANK[self] < _VRANK[other]


_VRANK = {Var.CONST: 0, Var.PARAM: 1, Var.EVENT: 2}


@dataclass(frozen=True, slots=True)
class Type:
    """The type of an IR value.

    Example:
        >>> Type.parse("complex/param")
        complex/param
    """

    dtype: DType
    var: Var

    def __repr__(self) -> str:
        return f"{self.dtype.value}/{self.var.value}"

    @staticmethod
    def parse(text: str) -> Type:
        """Parse the printed form ``dtype/variability``.

        Example:
            >>> Type.parse("real/event").var
            <Var.EVENT: 'event'>
        """
        dt, _, var = text.partition("/")
        return Type(DType(dt), Var(var))


def promote(*dtypes: DType) -> DType:
    """The smallest dtype that holds all ``dtypes`` (bool < int < real < complex).

    Example:
        >>> promote(DType.REAL, DType.COMPLEX)
        <DType.COMPLEX: 'complex'>
    """
    best = dtypes[0]
    rank = _RANK[best]
    for d in dtypes[1:]:
        r = _RANK[d]
        if r > rank:
            best, rank = d, r
    return best


def join(*vars_: Var) -> Var:
    """The variability of a value computed from values of variabilities ``vars_``.

    Example:
        >>> join(Var.CONST, Var.PARAM)
        <Var.PARAM: 'param'>
    """
    return max(vars_, default=Var.CONST)
