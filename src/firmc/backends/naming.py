"""Model names ("R(600)", "compass_3pi_JP=1+_M=0", "σ") in generated code: as identifiers, file names, string
literals and comments.

Names are mangled deterministically (ASCII letters, digits and ``_``; every other character becomes ``_``),
with a prefix that keeps them apart from the generator's own names and the target language's keywords, and a
numeric suffix where two names collide after mangling (assigned in sorted order of the original names, so the
result does not depend on the order names are met). The original names stay in the generated metadata, as
string literals (:func:`c_string` for the C family; ``repr`` for Python) that hold them exactly.

Example:
    >>> mangle(["mu", "R(600)", "R_600_", "σ"], "p_")
    {'R(600)': 'p_R_600_', 'R_600_': 'p_R_600__2', 'mu': 'p_mu', 'σ': 'p__'}
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_BAD = re.compile(r"[^A-Za-z0-9_]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # a file stem kept as it is
_TRIGRAPH = re.compile(r"\?\?(?=[=/'()!<>-])")
_STEM = 40  # characters of a mangled entry name kept in a file stem (before its digest)


def mangle(names: Iterable[str], prefix: str, taken: Iterable[str] = ()) -> dict[str, str]:
    """Identifiers ``prefix + sanitized name`` for ``names``, unique among themselves and ``taken``.

    Example:
        >>> mangle(["a b", "a+b"], "x_")
        {'a b': 'x_a_b', 'a+b': 'x_a_b_2'}
    """
    used = set(taken)
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        base = prefix + _BAD.sub("_", name)
        ident, k = base, 1
        while ident in used:
            k += 1
            ident = f"{base}_{k}"
        used.add(ident)
        out[name] = ident
    return out


def file_stem(name: str) -> str:
    """An entry name as the stem of a generated file name, a C++ namespace suffix and a C function name.

    A name that is an identifier of at most 64 characters is its own stem; any other gets the first 40
    characters of its mangled form and a digest of the name itself, so that entries whose names differ only by
    characters that mangling replaces ("a b", "a-b") get different files and namespaces, and a long name gives a
    file name the file system accepts.

    Example:
        >>> file_stem("model"), file_stem("R(600) model"), file_stem("R_600__model")
        ('model', 'R_600__model_41e78c24', 'R_600__model')
        >>> len(file_stem("L" * 1000)), file_stem("1a"), file_stem("")
        (49, 'n1a_a73fcf33', 'n_e3b0c442')
    """
    if _IDENTIFIER.fullmatch(name):
        return name
    base = _BAD.sub("_", name)[:_STEM]
    if not base[:1].isalpha() or not base[:1].isascii():
        base = "n" + base
    return f"{base}_{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def c_string(text: str) -> str:
    """The contents of a C/C++/CUDA string literal holding ``text`` as UTF-8, in printable ASCII: quotes and
    backslashes escaped, ``?`` escaped (no trigraphs), every other byte that is not printable ASCII as a
    three-digit octal escape (a control character, a line break, or a bidirectional override that compilers warn
    about, and no hexadecimal escape that would swallow the digits after it).

    Example:
        >>> print(c_string('a"b\\\\c?'))
        a\\"b\\\\c\\?
        >>> print(c_string("σ\\n"))
        \\317\\203\\012
    """
    out = []
    for byte in text.encode("utf-8", "surrogatepass"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def comment(text: str) -> str:
    """``text`` as the body of a one-line comment in any target language (``#``, ``//``, ``;``): characters that
    are not printable (line and paragraph separators, control characters, NUL, bidirectional overrides) as the
    escapes Python's ``repr`` writes (``\\u202e``), a backslash that ends the line (C and C++ would join the
    next line to the comment) as ``\\x5c``, and the second ``?`` of a trigraph (``??/`` is a backslash to a
    compiler that reads trigraphs, a warning to g++) as ``\\x3f``.

    Example:
        >>> print(comment("entry: a\\u202eb\\x00c ??/\\\\"))
        entry: a\\u202eb\\x00c ?\\x3f/\\x5c
    """
    out = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    out = _TRIGRAPH.sub("?\\\\x3f", out)
    if out.rstrip().endswith("\\"):
        out = out.rstrip()[:-1] + "\\x5c"
    return out


def comment_lines(text: str, marker: str) -> str:
    """Every line of ``text`` as a comment line starting with ``marker`` (see :func:`comment`); each ends in a
    newline.

    Example:
        >>> print(comment_lines("a\\nb\\\\", "//"), end="")
        // a
        // b\\x5c
    """
    return "".join(f"{marker} {comment(line)}\n" if line else f"{marker}\n"
                   for line in text.splitlines())



def docstring_repr(text: str) -> str:
    """``repr(text)`` as it may stand inside a Python docstring: its backslashes and double quotes escaped, so
    that the docstring ends where it should and reads ``repr(text)``.

    Example:
        >>> print(docstring_repr('say "hi"\\n'))
        'say \\"hi\\"\\\\n'
    """
    return repr(text).replace("\\", "\\\\").replace('"', '\\"')
