"""The canonical text of a firm program (``firmc fmt``): one statement per line, operators spaced, parentheses
only where precedence needs them, ``^`` for powers, long calls, lists and records broken one item per line;
comments kept (above a statement, or at the end of its line) and at most one blank line between statements.
Formatting its own output changes nothing.

Example:
    >>> print(format_program(parse_program("parameter  mu=(1)  in [0,2]   # the mean\\n\\n\\n"
    ...                                    "function f=((a+b))*c^(2) + -(x)")), end="")
    parameter mu = 1 in [0, 2]  # the mean
    <BLANKLINE>
    function f = (a + b) * c^2 + -x
"""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from ...frontends.dsl.parse import Comment, Program, parse_program

WIDTH = 100
INDENT = "    "
_PREC = {"expr_ternary": 0, "expr_or": 1, "expr_and": 2, "expr_eq": 3, "expr_rel": 4, "expr_sum": 5,
         "expr_prod": 6, "expr_prefix": 7, "expr_power": 8, "expr_juxt": 8}
_ATOM = 9
_CANONICAL_OP = {"**": "^", "−": "-"}


def expression(tree: Any) -> str:
    """One line of an expression (or a value: list, record, string) in canonical form.

    Example:
        >>> expression(parse_program("function f = a-(b-c)").statements[0].children[2])
        'a - (b - c)'
    """
    return _flat(tree)[0]


def _wrap(tree: Any, min_prec: int) -> str:
    text, prec = _flat(tree)
    return f"({text})" if prec < min_prec else text


def _flat(tree: Any) -> tuple[str, int]:
    if isinstance(tree, Token):
        return (str(tree), _ATOM)
    kind, ch = tree.data, tree.children
    if kind == "expr_call":
        return (f"{ch[0]}({', '.join(_flat(c)[0] for c in ch[1:])})", _ATOM)
    if kind in ("keyword", "entry"):
        return (f"{ch[0]}={_flat(ch[1])[0]}", _ATOM)
    if kind == "list":
        return ("[" + ", ".join(_flat(c)[0] for c in ch) + "]", _ATOM)
    if kind == "record":
        return ("{" + ", ".join(_flat(c)[0] for c in ch) + "}", _ATOM)
    if kind == "expr_ternary":
        return (f"{_wrap(ch[0], 1)} ? {_flat(ch[1])[0]} : {_wrap(ch[2], 0)}", 0)
    if kind == "expr_prefix":
        op = _CANONICAL_OP.get(str(ch[0]), str(ch[0]))
        if op == "+":
            return _flat(ch[1])
        inner = _flat(ch[1])
        return (f"{op}({inner[0]})" if inner[1] < 7 or (isinstance(ch[1], Tree) and ch[1].data == "expr_prefix")
                else f"{op}{inner[0]}", 7)
    if kind == "expr_power":
        return (f"{_wrap(ch[0], _ATOM)}^{_wrap(ch[2], 7)}", 8)
    if kind == "expr_juxt":
        tail = f"^{_wrap(ch[3], 7)}" if len(ch) > 2 else ""
        return (f"{ch[0]}{ch[1]}{tail}", 8)
    prec = _PREC[kind]
    parts = [_wrap(ch[0], prec)]
    for op, operand in zip(ch[1::2], ch[2::2], strict=True):
        parts.append(f" {_CANONICAL_OP.get(str(op), str(op))} {_wrap(operand, prec + 1)}")
    return ("".join(parts), prec)


def _broken(tree: Any, column: int, indent: str) -> str:
    """``tree`` starting at ``column``: flat when it fits in WIDTH, else its items one per line."""
    flat = expression(tree)
    if column + len(flat) <= WIDTH or not isinstance(tree, Tree):
        return flat
    if tree.data in ("keyword", "entry"):
        head = f"{tree.children[0]}="
        return head + _broken(tree.children[1], column + len(head), indent)
    if tree.data not in ("expr_call", "list", "record"):
        return flat
    if tree.data == "expr_call":
        open_, close, items, trailing = f"{tree.children[0]}(", ")", tree.children[1:], ""
    else:
        open_, close = ("[", "]") if tree.data == "list" else ("{", "}")
        items, trailing = tree.children, ","
    if not items:
        return flat
    inner = indent + INDENT
    lines = [_broken(item, len(inner), inner) for item in items]
    body = (",\n").join(inner + line for line in lines)
    return f"{open_}\n{body}{trailing}\n{indent}{close}"


def statement(st: Tree[Any]) -> str:
    """The canonical text of one statement (several lines where a value does not fit).

    Example:
        >>> statement(parse_program("const   parameter n=3").statements[0])
        'const parameter n = 3'
    """
    kind, ch = st.data, st.children
    if kind == "observable_decl":
        text = f"observable {ch[0]}" + "".join(_part(c) for c in ch[1:])
        return text
    if kind == "parameter_decl":
        const = "const " if isinstance(ch[0], Token) and ch[0].type == "CONST" else ""
        rest = ch[1:] if const else ch
        return f"{const}parameter {rest[0]}" + "".join(_part(c) for c in rest[1:])
    if kind == "check_decl":
        head = "check "
        text = head + _broken(ch[0], len(head), "")
        return text + (f" rtol {expression(ch[2])}" if len(ch) > 2 else "")
    keyword = {"object_decl": str(ch[0]), "data_decl": "data", "likelihood_decl": "likelihood",
               "raw_decl": "hs3"}[kind]
    name, value = (ch[1], ch[2]) if kind == "object_decl" else (ch[0], ch[1])
    head = f"{keyword} {name} = "
    return head + _broken(value, len(head), "")


def _part(c: Tree[Any]) -> str:
    if c.data == "domain":
        return f" in [{expression(c.children[0])}, {expression(c.children[1])}]"
    return f" = {expression(c.children[0])}"  # default


def format_program(prog: Program) -> str:
    """The canonical text of a parsed program, comments and paragraph breaks kept.

    Example:
        >>> print(format_program(parse_program("# model\\nobservable x in [0,1]\\n# signal\\n"
        ...                                    "distribution g=uniform(x)")), end="")
        # model
        observable x in [0, 1]
        # signal
        distribution g = uniform(x)
    """
    out: list[str] = []
    comments = sorted(prog.comments, key=lambda c: c.line)
    k = 0
    last_line = 0  # the last source line already written
    for st in prog.statements:
        start, end = st.meta.line, st.meta.end_line
        while k < len(comments) and comments[k].line < start:
            _blank(out, prog, last_line, comments[k].line)
            out.append(comments[k].text)
            last_line = comments[k].line
            k += 1
        _blank(out, prog, last_line, start)
        text = statement(st)
        trailing: list[Comment] = []
        while k < len(comments) and comments[k].line <= end:
            trailing.append(comments[k])
            k += 1
        if trailing:
            text += "  " + " ".join(c.text for c in trailing)
        out.append(text)
        last_line = end
    for c in comments[k:]:
        _blank(out, prog, last_line, c.line)
        out.append(c.text)
        last_line = c.line
    return "\n".join(out) + "\n" if out else ""


def _blank(out: list[str], prog: Program, last: int, line: int) -> None:
    """One blank line where the source has any between ``last`` and ``line`` (none at the top)."""
    if out and last and line - last > 1:
        lines = prog.text.splitlines()
        if any(not lines[i - 1].strip() for i in range(last + 1, line) if 0 < i <= len(lines)):
            out.append("")


def format_text(text: str, origin: str = "<firm>") -> str:
    """Parse and format program text.

    Example:
        >>> format_text("observable x in [0,1] parameter a=1")
        'observable x in [0, 1]\\nparameter a = 1\\n'
    """
    return format_program(parse_program(text, origin))


__all__ = ["WIDTH", "expression", "format_program", "format_text", "statement"]
