"""The ``firmc`` command.

    firmc MODEL --target T [-o DIR] [--entry E] [--observables x,y] [-O N]   write the artifact
    firmc check MODEL [--target T ...] [--all-targets] [--entry E ...]      one line per check
    firmc info MODEL [--ir] [-O N]                                          entries, normalisation, op counts
    firmc plot MODEL [-o dalitz.png] [--entry E] [--axes sigma1,sigma2]      the Dalitz plot of an intensity
    firmc fmt FILE.firm ... [--check] [--stdout]                            canonical form of firm programs
    firmc convert MODEL --to firm|hs3|hs3-root [-o FILE]                    the model in another format

Exit codes: 0 ok, 1 a check failed, 2 bad input (or any other firmc error). No traceback reaches the user
unless ``--debug`` is given.

Example:
    >>> main(["--version"])
    firmc 0.1.0
    0
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from . import __version__
from .errors import FirmError


def _parser_compile() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc", description="Compile a model file into code for a target.")
    p.add_argument("model", help="model file: HS3 JSON, pyhf workspace, amplitude JSON, .firm")
    p.add_argument("--target", "-t", default="interp", help="interp, numpy, jax, torch, llvm, cpp, cuda, roofit")
    p.add_argument("-o", "--output", default=None, help="directory for the generated files (default out/)")
    p.add_argument("--entry", "-e", default=None, help="entry to compile (default: the model's main one)")
    p.add_argument("--observables", default=None, help="comma-separated observables to normalise over")
    p.add_argument("-O", "--optimize", type=int, default=1, choices=(0, 1, 2))
    return p


def _parser_check() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc check",
                                description="Check every target against the interpreter and the model's "
                                            "validation values.")
    p.add_argument("model")
    p.add_argument("--target", "-t", action="append", default=None, help="target to check (repeatable)")
    p.add_argument("--all-targets", action="store_true", help="every target available on this machine")
    p.add_argument("--entry", "-e", action="append", default=None)
    return p


def _parser_info() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc info", description="List entries, parameters and observables.")
    p.add_argument("model")
    p.add_argument("--ir", action="store_true",
                   help="print the IR, and op counts per event and per evaluation before and after the passes")
    p.add_argument("-O", "--optimize", type=int, choices=(0, 1, 2), default=1, help="optimisation level shown")
    return p


def _parser_plot() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc plot", description="Draw the Dalitz plot of a three-body intensity.")
    p.add_argument("model")
    p.add_argument("-o", "--output", default="dalitz.png", help="image file (.png, .pdf, .svg)")
    p.add_argument("--entry", "-e", default=None, help="the intensity (default: the model's first)")
    p.add_argument("--axes", default="sigma1,sigma2", help="the two invariants on the axes")
    p.add_argument("--bins", type=int, default=300)
    p.add_argument("--target", "-t", default="numpy", help="target that evaluates the grid")
    return p


def _parser_fmt() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc fmt", description="Format firm programs canonically.")
    p.add_argument("files", nargs="+", help=".firm files")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--stdout", action="store_true", help="print the formatted text instead of rewriting files")
    return p


def _parser_convert() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="firmc convert", description="Write a model in another format.")
    p.add_argument("model", help="model file: HS3 JSON, pyhf workspace, amplitude JSON, .firm")
    p.add_argument("--to", required=True, choices=("firm", "hs3", "hs3-root"))
    p.add_argument("-o", "--output", default=None, help="output file (default: standard output)")
    return p


def cmd_fmt(args: argparse.Namespace) -> int:
    """``firmc fmt FILE...``: rewrite each file in canonical form (``--check``: report, change nothing).

    Example:
        >>> cmd_fmt.__name__
        'cmd_fmt'
    """
    from pathlib import Path

    from .frontends.dsl import read_program
    from .writers.firm import format_program

    unformatted = 0
    for name in args.files:
        prog, _ = read_program(Path(name))
        text = format_program(prog)
        if args.stdout:
            sys.stdout.write(text)
        elif text != prog.text:
            unformatted += 1
            if args.check:
                print(f"{name}: not formatted")
            else:
                Path(name).write_text(text, encoding="utf-8")
                print(f"{name}: formatted")
    return 1 if args.check and unformatted else 0


def cmd_convert(args: argparse.Namespace) -> int:
    """``firmc convert MODEL --to firm|hs3|hs3-root [-o FILE]``.

    Example:
        >>> cmd_convert.__name__
        'cmd_convert'
    """
    from pathlib import Path

    from .convert import convert

    text = convert(Path(args.model), args.to)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``firmc plot MODEL -o dalitz.png``.

    Example:
        >>> cmd_plot.__name__
        'cmd_plot'
    """
    from .frontends import load
    from .plot import dalitz_plot

    path = dalitz_plot(load(args.model), args.output, args.entry, args.axes.split(","), args.bins, args.target)
    print(path)
    return 0


def cmd_compile(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``firmc MODEL --target T -o DIR``.

    Example:
        >>> cmd_compile.__name__
        'cmd_compile'
    """
    from .compiler import compile
    from .frontends import load

    m = load(args.model)
    observables = [o for o in args.observables.split(",") if o] if args.observables else None
    command = "firmc " + " ".join(shlex.quote(a) for a in argv)
    f = compile(m, args.target, args.entry, observables, optimize=args.optimize, command=command)
    for path in f.write(args.output or "out"):
        print(path)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``firmc check MODEL``.

    Example:
        >>> cmd_check.__name__
        'cmd_check'
    """
    from .backends import available_targets
    from .check import check, format_report
    from .frontends import load

    m = load(args.model)
    targets = available_targets() if args.all_targets else (args.target or ["interp"])
    lines = check(m, targets, args.entry)
    print(f"{args.model}: targets {', '.join(targets)}")
    print(format_report(lines))
    failed = sum(not ln.ok for ln in lines)
    print(f"{len(lines) - failed} of {len(lines)} checks passed")
    return 1 if failed else 0


def cmd_info(args: argparse.Namespace) -> int:
    """``firmc info MODEL``.

    Example:
        >>> cmd_info.__name__
        'cmd_info'
    """
    from .frontends import load
    from .info import describe

    print(describe(load(args.model), ir=args.ir, optimize=args.optimize))
    return 0


def run(argv: Sequence[str]) -> int:
    """Dispatch ``argv`` (without the program name); FirmError propagates.

    Example:
        >>> run(["--version"])
        firmc 0.1.0
        0
    """
    if argv and argv[0] in ("--version", "-V"):
        print(f"firmc {__version__}")
        return 0
    if argv and argv[0] == "check":
        return cmd_check(_parser_check().parse_args(argv[1:]))
    if argv and argv[0] == "info":
        return cmd_info(_parser_info().parse_args(argv[1:]))
    if argv and argv[0] == "fmt":
        return cmd_fmt(_parser_fmt().parse_args(argv[1:]))
    if argv and argv[0] == "convert":
        return cmd_convert(_parser_convert().parse_args(argv[1:]))
    if argv and argv[0] == "plot":
        return cmd_plot(_parser_plot().parse_args(argv[1:]))
    return cmd_compile(_parser_compile().parse_args(argv), argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``firmc`` console script.

    Example:
        >>> main(["info", "/nonexistent.json"])
        2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        return run(argv)
    except FirmError as exc:
        print(f"firmc: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("firmc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except SystemExit as exc:  # argparse usage errors
        return int(exc.code) if isinstance(exc.code, int) else 2
    except Exception as exc:  # a bug in firmc: say so, briefly
        if debug:
            raise
        name = type(exc).__name__
        print(f"firmc: internal error ({name}: {exc}); please report it with the model file "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
