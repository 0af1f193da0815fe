"""The ``adcompiler`` command (also ``python -m adcompiler``).

Commands: ``emit`` writes a self-contained adjoint module, ``check`` tests the
generated derivatives against finite differences, ``rules`` lists the
functions adcompiler knows how to differentiate.

Exit status: 0 on success; 1 when ``check`` finds a wrong derivative; 2 for a
usage error or an ``AdCompilerError`` (one paragraph on standard error, no
traceback unless ``--traceback``); 3 for an internal error.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback

from .. import __version__
from ..backends.choice import SINGLE_PRECISION
from ..errors import AdCompilerError
from .color import color_enabled, highlight, paint
from .load import UsageError, load_target
from .load import split_names as _names

EXAMPLES = {
    "emit": """examples:
  adcompiler emit examples/seed.py:f_                 all arrays Duplicated
  adcompiler emit model.py:step --const dt --active k -o step_adjoint.py
  adcompiler emit model.py:step --dump-after normalize
  adcompiler emit model.py:step --mode forward

activities: --const/--active/--dup flags first, then type hints (np.ndarray:
Duplicated, float: Active, int/bool: Const), then default values, then use (a
range() bound or an index is an integer: Const); a parameter with none of
these is taken as a float array (Duplicated). The output calls
{FUNC}_reverse(args, each Duplicated one followed by its shadow d{name},
dret=1.0 if the return is Active) and returns the Active derivatives.""",
    "check": """examples:
  adcompiler check examples/seed.py:f_ --shape s=5 --shape a=5 --shape b=5
  adcompiler check model.py:step --shape u=64 --value dt=0.01 --const dt --seed 3

Inputs are random, uniform in --range (default 0.5,1.5). A --value float is
Active and an int Const, unless a flag or type hint says otherwise. Each differentiable
argument, and all of them together, is checked by a dot-product test of
reverse mode (and a directional test of forward mode) against a fourth-order
central finite difference.""",
    "rules": """examples:
  adcompiler rules
  adcompiler rules --search max""",
}


DESCRIPTION = """Automatic differentiation of in-place numpy code by source transformation.

  emit   write the derivative of PATH.py:FUNC as a module that needs numpy only
  check  check the derivatives on random inputs against finite differences
  rules  list the functions adcompiler differentiates"""

EPILOG = """examples:
  adcompiler emit examples/seed.py:f_
  adcompiler check examples/seed.py:f_ --shape s=5 --shape a=5 --shape b=5
  adcompiler rules --search max

Run `adcompiler COMMAND --help` for each command's options. Exit status: 0 ok,
1 a check failed, 2 usage error or code adcompiler cannot differentiate,
3 internal error."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with status 2 and one paragraph."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-color", action="store_true", help="plain text even on a terminal (also: NO_COLOR=1)")
    p.add_argument("--traceback", action="store_true", help="show the Python traceback of an error")


def build_parser() -> argparse.ArgumentParser:
    from ..pipeline import DUMP_AFTER
    parser = _Parser(prog="adcompiler", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    parser.add_argument("--version", action="version",
                        version=f"adcompiler {__version__} (Python {sys.version.split()[0]})")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="{emit,check,rules}", parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter
    e = sub.add_parser("emit", help="write the derivative of a function as a self-contained module",
                       description="Write the derivative of PATH.py:FUNC as a Python module that needs numpy "
                       "only.", epilog=EXAMPLES["emit"], formatter_class=raw)
    e.add_argument("target", metavar="PATH.py:FUNC")
    e.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    e.add_argument("--target", dest="backend_target", choices=("numpy", "numba"), default="numpy",
                   help="numba: every generated function is numba.njit-compiled (the module needs numpy and "
                   "numba); default numpy")
    _activity_flags(e)
    e.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS[:DTYPE]",
                   help="an array argument's shape, e.g. A=3,4; only its rank is used (the code is "
                   "specialised on it); an integer dtype (idx=3:int64) makes it a Const index array, a complex one "
                   "(z=5:complex128) a complex array (complex for a scalar: z=:complex128)")
    e.add_argument("--ret", choices=("active", "const"),
                   help="return activity (default: active when the function returns a value)")
    e.add_argument("-o", "--output", metavar="FILE", help="write the module to FILE instead of standard output")
    e.add_argument("--dump-after", metavar="PASS", choices=DUMP_AFTER,
                   help=f"print the source after one pass instead: {', '.join(DUMP_AFTER)}")
    e.add_argument("--checkpoint", metavar="N|BYTES",
                   help="reverse the outermost loops (or those marked `# adcompiler: checkpoint`) from N "
                   "snapshots, or within a memory budget such as 12MB, instead of a tape of every step")
    e.add_argument("--explain", action="store_true",
                   help="print what the reverse sweep keeps, per step of each loop, instead of the module")
    _common(e)
    c = sub.add_parser("check", help="check derivatives against finite differences",
                       description="Check the reverse- and forward-mode derivatives of PATH.py:FUNC on random "
                       "inputs against central finite differences. Exit status 0 when every check passes, 1 otherwise.",
                       epilog=EXAMPLES["check"], formatter_class=raw)
    c.add_argument("target", metavar="PATH.py:FUNC")
    c.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS[:DTYPE]",
                   help="an array argument and its shape, e.g. A=3,4 (repeat per argument); float64 unless "
                   "a dtype is given: idx=3:int64 is a Const index array of random indices valid for "
                   "every axis of the float arrays, x=5:float32 a float32 array")
    c.add_argument("--value", action="append", default=[], metavar="NAME=NUMBER",
                   help="a scalar argument's value; a float is Active, an int Const")
    _activity_flags(c)
    c.add_argument("--ret", choices=("active", "const"), help="return activity (default: active for a float)")
    c.add_argument("--seed", type=_seed, default=0, help="random seed, a non-negative integer (default 0)")
    c.add_argument("--range", default="0.5,1.5", metavar="LO,HI", help="interval of random inputs")
    _common(c)
    r = sub.add_parser("rules", help="list the functions with derivative rules",
                       description="List the functions adcompiler differentiates and how.",
                       epilog=EXAMPLES["rules"], formatter_class=raw)
    r.add_argument("--search", metavar="WORD", help="only rules whose name or note contains WORD")
    _common(r)
    return parser


def _activity_flags(p: argparse.ArgumentParser) -> None:
    helps = (("--const", "not differentiated"), ("--active", "a float scalar whose derivative is returned"),
             ("--dup", "an array with a shadow"))
    for flag, what in helps:
        p.add_argument(flag, action="append", default=[], metavar="NAME",
                       help=f"argument NAME is {what} (repeatable; NAME,NAME also works)")


def _emit(args, out) -> int:
    from .check import numbers_given, parse_shape
    from .emit import emit_source
    target = load_target(args.target)
    _report_import_output(target)
    argv = [args.target] + [f"{f} {n}" for f, ns in (("--const", args.const), ("--active", args.active),
                                                       ("--dup", args.dup)) for n in _names(ns)]
    argv += [f"--shape {s}" for s in args.shape]
    argv += [f"--mode {args.mode}"] if args.mode != "reverse" else []
    argv += [f"--ret {args.ret}"] if args.ret else []
    argv += [f"--checkpoint {args.checkpoint}"] if args.checkpoint else []
    argv += ["--explain"] if args.explain else []
    argv += [f"--target {args.backend_target}"] if args.backend_target != "numpy" else []
    checkpoint = None
    if args.checkpoint:
        checkpoint = int(args.checkpoint) if args.checkpoint.strip().isdigit() else args.checkpoint
    specs = [parse_shape(s) for s in args.shape]
    ranks = {name: len(shape) for name, shape, _ in specs}
    dtypes = {name: "i" if dtype.kind == "u" else dtype.kind for name, _, dtype in specs}
    single = [f"{name} ({dtype})" for name, _, dtype in specs if dtype.char in "efF"]
    if args.backend_target == "numba" and single:
        raise UsageError(f"--target numba: {', '.join(single)}: numba {SINGLE_PRECISION.format('single-precision')} "
                         "Hint: emit for float64 arrays, or drop --target numba.")
    text = emit_source(target, args.mode, _names(args.const), _names(args.active), _names(args.dup),
                       args.ret, args.dump_after, argv, ranks, dtypes=dtypes, checkpoint=checkpoint,
                       explain=args.explain, target_backend=args.backend_target,
                       numbers=numbers_given(args.shape))
    if not text.endswith("\n"):
        text += "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        return 0
    out.write(highlight(text) if color_enabled(out, args.no_color) else text)
    return 0


def _report_import_output(target) -> None:
    if target.import_output:
        lines = target.import_output.rstrip("\n").splitlines()
        sys.stderr.write(f"note: importing {target.path} printed {len(lines)} line(s), shown here instead of "
                         "with the output; put the script part under `if __name__ == \"__main__\":`.\n")
        for line in lines[:20]:
            sys.stderr.write(f"  | {line}\n")


def _check(args, out) -> int:
    from .check import run_check
    target = load_target(args.target)
    _report_import_output(target)
    return run_check(target, args, out, color_enabled(out, args.no_color))


def _seed(text: str) -> int:
    """``--seed``: numpy's generators take non-negative integers."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return value


def _rules(args, out) -> int:
    from .rules import rules_table
    out.write(rules_table(args.search))
    return 0


def main(argv: list | None = None, out=None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    want_tb = "--traceback" in argv
    no_color = "--no-color" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(out)
            return 2
        return {"emit": _emit, "check": _check, "rules": _rules}[args.command](args, out)
    except SystemExit as e:   # --help and --version
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    except (AdCompilerError, UsageError) as e:
        return _fail(e, want_tb, no_color, "error")
    except BrokenPipeError:   # output piped into `head` and the like
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except OSError as e:   # a file to read or write (-o into a missing directory)
        return _fail(e, want_tb, no_color, "error", f"{e.strerror or e}: {e.filename}" if e.filename else None)
    except Exception as e:   # noqa: BLE001 (never a bare traceback: one paragraph and a way to see it)
        _fail(e, want_tb, no_color, "internal error",
              f"{type(e).__name__}: {e}. This is a bug in adcompiler; rerun with --traceback and report it "
              "with the function's source.")
        return 3


def _fail(e: BaseException, want_tb: bool, no_color: bool, label: str, text: str | None = None) -> int:
    if want_tb:
        traceback.print_exception(e)
    msg = text or str(e)
    # Paths under the working directory read better relative, as the user typed them.
    msg = msg.replace(os.getcwd() + os.sep, "")
    prefix = paint(f"adcompiler: {label}:", "red") if color_enabled(sys.stderr, no_color) else \
        f"adcompiler: {label}:"
    sys.stderr.write(f"{prefix} {msg}\n")
    return 2
