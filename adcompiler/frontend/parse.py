"""parse: retrieve a function's source and parse it, keeping user line numbers.

Contract: ``parse_function(f)`` returns a ``ParsedFunction`` whose ``tree`` is
the ``ast.FunctionDef`` of ``f`` with ``lineno`` attributes equal to the line
numbers in ``filename`` (so every error and every generated comment points at
the user's file).
"""
from __future__ import annotations
import __future__

import ast
import copy
import dataclasses
import dis
import functools
import inspect
import linecache
import os
import textwrap
import tokenize
import types
from dataclasses import dataclass

from ..codegen.compile import code_of_file
from ..errors import SourceError, UnsupportedSyntaxError


@dataclass
class ParsedFunction:
    """A function's parse tree, with the file and lines its nodes point at."""

    func: types.FunctionType
    tree: ast.FunctionDef
    filename: str
    source: str          # dedented source of the function
    source_lines: list   # lines of the user's file (for comments)
    #: names ``attr_views`` binds to the first subscript of a chained store (``A[i][j] = v``)
    chained_parts: set = dataclasses.field(default_factory=set)

    @property
    def name(self) -> str:
        return self.tree.name

    def line_text(self, lineno: int) -> str:
        idx = lineno - 1
        if 0 <= idx < len(self.source_lines):
            return self.source_lines[idx].strip()
        return ""


def _where(f) -> dict:
    """The file and line of a function's definition, where it has them."""
    code = getattr(f, "__code__", None)
    return {"filename": code.co_filename, "lineno": code.co_firstlineno} if code is not None else {}


def _unwrap(f):
    if isinstance(f, functools.partial):
        raise SourceError(
            "this functools.partial cannot be differentiated: it binds a parameter by keyword before one it "
            "leaves to the caller without a default (given then only by keyword), or its function takes *args or "
            "**kwargs, or is not a Python function with source.",
            construct=f"functools.partial({getattr(f.func, '__name__', '...')}, ...)", **_where(f.func),
            hint="bind the leading parameters by position or the trailing ones by keyword, or differentiate the "
                 "function itself and pass the bound values as Const.")
    if inspect.ismethod(f):
        raise SourceError(
            "a bound method cannot be differentiated directly.",
            construct=getattr(f, "__qualname__", repr(f)), **_where(f.__func__),
            hint="differentiate a module-level function and pass the object's arrays as arguments.")
    if not isinstance(f, types.FunctionType):
        raise SourceError(
            f"{type(f).__name__} object is not a Python function with source.",
            construct=repr(f)[:60],
            hint="pass a function defined with `def` in a file.")
    if inspect.isgeneratorfunction(f) or inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f):
        raise UnsupportedSyntaxError(
            "generator and async functions cannot be differentiated.",
            construct=f.__name__, filename=f.__code__.co_filename, lineno=f.__code__.co_firstlineno,
            hint="write a plain function that mutates an output array instead of yielding.")
    return f


def source_lines(code, module_globals=None, line: int | None = None) -> tuple:
    """The lines of a function's definition and the number of the first, as
    ``inspect.getsourcelines`` gives them, read through ``linecache`` directly
    (inspect first maps the file to a module by scanning ``sys.modules``: a
    tenth of a second on the first call); from ``line`` where given (else the
    code's first line)."""
    filename = code.co_filename
    linecache.checkcache(filename)   # (a file edited since it was read; doctest serves its own lines)
    lines = linecache.getlines(filename, module_globals)
    first = (line or code.co_firstlineno) - 1
    if not lines or not 0 <= first < len(lines):
        raise OSError("could not get source code")
    return inspect.getblock(lines[first:]), first + 1


#: the package's directory (a function transform's code lives in one of its subpackages)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_function(f) -> ParsedFunction:
    """Parse ``f`` (a plain function defined in a file) into an AST."""
    f = _unwrap(f)
    code = f.__code__
    filename = code.co_filename
    lifted = getattr(f, "_ad_lifted_tree", None)
    if lifted is not None:   # (a function defined in another one: frontend/nested.py)
        return ParsedFunction(f, copy.deepcopy(lifted), filename, ast.unparse(lifted), _file_lines(filename, []))
    if getattr(f, "__wrapped__", None) is not None and os.path.dirname(os.path.dirname(filename)) == _PACKAGE:
        inner = getattr(f.__wrapped__, "__code__", code)
        raise SourceError(
            f"an adcompiler function transform (grad, value_and_grad, ...) of `{f.__wrapped__.__name__}` is "
            "differentiated again: a transform of a transform is not supported.", construct=f.__name__,
            filename=inner.co_filename, lineno=inner.co_firstlineno,
            hint="use adcompiler.hessian or adcompiler.hvp for second derivatives, adcompiler.jacobian for "
                 "the derivatives of several outputs.")
    if getattr(f, "__wrapped__", None) is not None or code.co_name != f.__name__:
        wraps = getattr(f, "__wrapped__", None) is not None
        raise SourceError(
            f"`{f.__name__}` wraps another function (functools.wraps); its own source is not the one "
            "inspect would show." if wraps else f"the code of `{f.__name__}` is the code of `{code.co_name}` (its "
            "__code__ was replaced, or it was renamed); its source is not found under its name.",
            construct=f.__name__, filename=filename, lineno=code.co_firstlineno,
            hint="differentiate the undecorated function." if wraps else
            "define the function anew (def) instead of replacing its code or its name.")
    if f.__name__ == "<lambda>":
        return _parse_lambda(f)
    first, checked = _located(f)
    try:
        lines, start = source_lines(code, f.__globals__, first)
    except (OSError, TypeError) as exc:
        raise SourceError(
            f"the source of `{f.__name__}` cannot be retrieved ({exc}).",
            construct=f.__name__, filename=filename, lineno=code.co_firstlineno,
            hint="define the function in a .py file (not at an interactive prompt or with exec).") from None
    source = textwrap.dedent("".join(lines))
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise SourceError(
            f"the source of `{f.__name__}` does not parse ({exc.msg}).",
            construct=f.__name__, filename=filename, lineno=start + (exc.lineno or 1) - 1,
            hint="check that the function is not defined inside an expression.") from None
    defs = [n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(defs) != 1 or defs[0].name != f.__name__:
        raise SourceError(
            f"the source of `{f.__name__}` is not a single function definition.",
            construct=f.__name__, filename=filename, lineno=code.co_firstlineno,
            hint="define the function with `def` at the top level of a file.")
    if not checked:
        _check_alone(f, start, source)
    tree = defs[0]
    _keywords_by_position(tree)
    tree.decorator_list = []   # (the function object is the code under its decorators: @differentiate(like=...))
    ast.increment_lineno(tree, start - 1)
    return ParsedFunction(f, tree, filename, source, _file_lines(filename, [""] * (start - 1) + source.splitlines()))


def _shared(node, memo):
    return node


# The parser shares one instance of each field-less node (``ast.Load()``, ``ast.Add()``...) among
# all trees, and tools mark those with attributes (IPython's tracebacks set ``parent`` to a node of
# a tree of theirs): ``copy.deepcopy`` of a tree of ours copied theirs through it, 100 times slower
# after a traceback was shown. Such nodes are copied as themselves, as the parser shares them.
for _base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop):
    for _cls in _base.__subclasses__():
        copy._deepcopy_dispatch.setdefault(_cls, _shared)


#: the compiler flags of ``from __future__ import ...`` (a code object keeps those it was compiled with)
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _located(f) -> tuple:
    """``(line, checked)``: the first line, in ``f``'s file as it is now, of the definition whose
    code is the code that runs. The file's text is compiled as the module was (its future
    flags; the whole file, since a function's code depends on its module: names bound by
    imports, enclosing functions and classes) and the code of that name at the code's own line
    compared with the running one (names, constants, instructions), else the others of that
    name (IPython's autoreload compiles a function from its own text, at line 1; lines added
    above). None of them: the file was edited after the module was imported, refused.
    ``checked`` False (the code's own line): the file does not compile as a whole (an edit half
    typed elsewhere: ``_check_alone``), or the code is rewritten on import (pytest's asserts)."""
    code = f.__code__
    if _rewritten(code):
        return code.co_firstlineno, False
    linecache.checkcache(code.co_filename)
    lines = linecache.getlines(code.co_filename, f.__globals__)
    if not lines:
        return code.co_firstlineno, False   # (no source: source_lines says so)
    held = _COMPILED.get(code.co_filename)
    if held is None or held[0] is not lines:
        compiled = None
        for extra in (0, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT):   # (a notebook's cell may await at its top level)
            try:
                compiled = code_of_file("".join(lines), code.co_filename, code.co_flags & _FUTURE_FLAGS | extra)
                break
            except (SyntaxError, ValueError):
                pass
        held = _COMPILED[code.co_filename] = (lines, compiled)
    if held[1] is None:
        return code.co_firstlineno, False
    found = _codes_named(held[1], code.co_name)
    found.sort(key=lambda c: c.co_firstlineno != code.co_firstlineno)   # (its own line first)
    for c in found:
        if _same_code(c, code):
            return c.co_firstlineno, True
    raise _edited(f, code.co_firstlineno)


def _rewritten(code) -> bool:
    """Code rewritten on import (pytest's assertions), which no compilation of its text gives."""
    return any(n.startswith("@py") for n in code.co_varnames + code.co_names)


def _edited(f, line) -> SourceError:
    return SourceError(
        f"the source of `{f.__name__}` in its file is not the code that runs: the file was edited after the "
        "module was imported, so its derivative would be of other code.",
        construct=f.__name__, filename=f.__code__.co_filename, lineno=line,
        hint="reload the module (importlib.reload, or %autoreload in IPython) or restart the interpreter, "
             "so that the function runs what its file says.")


def _check_alone(f, start: int, source: str | None) -> None:
    """Where the file does not compile as a whole: the function's own text compiled alone
    compared with the running code (``_same_alone``)."""
    if not _rewritten(f.__code__) and not (source is not None and _same_alone(f.__code__, source)):
        raise _edited(f, start)


def _same_alone(code, source: str) -> bool:
    """The function's own text, compiled alone (a closure's free names as an enclosing
    function's locals), is the running code (``_same_code``: how a module's method is loaded
    depends on the module around it, and is not compared)."""
    text = source
    if code.co_freevars:
        text = "def _ad_enclosing():\n" + "".join(f"    {n} = None\n" for n in code.co_freevars) + \
            textwrap.indent(source, "    ")
    try:
        found = _codes_named(code_of_file(text, code.co_filename, code.co_flags & _FUTURE_FLAGS), code.co_name)
    except (SyntaxError, ValueError):
        return False
    return any(_same_code(c, code) for c in found)


#: file name -> (its lines as linecache holds them, their code compiled), for ``_located``
_COMPILED: dict = {}


def _codes_named(code, name) -> list:
    """The code objects named ``name`` in ``code``, nested, at any line."""
    out = []
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name == name:
                out.append(c)
            out += _codes_named(c, name)
    return out


def _instructions(code) -> list:
    """``(operation, argument)`` of each instruction, a jump's argument the index of the one it
    goes to, ``LOAD_METHOD`` read as ``LOAD_ATTR`` (a method of a name bound by an import is
    loaded as an attribute: the same call)."""
    ins = [i for i in dis.get_instructions(code) if i.opname not in ("EXTENDED_ARG", "CACHE", "NOP")]
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    out = []
    for i in ins:
        arg = i.argval
        if i.opcode in jumps and isinstance(arg, int):
            arg = next((k for k, j in enumerate(ins) if j.offset >= arg), -1)
        elif isinstance(arg, types.CodeType):
            arg = arg.co_name
        out.append(("LOAD_ATTR" if i.opname == "LOAD_METHOD" else i.opname, repr(arg)))
    return out


def _same_code(a, b) -> bool:
    """The same names, constants and instructions, up to how a method call on a module is
    loaded (it depends on what else the module compiled with the function binds by imports:
    IPython compiles each statement of a cell alone) and the jumps' offsets that follow."""
    if (a.co_names, a.co_varnames, a.co_freevars, a.co_argcount) != \
            (b.co_names, b.co_varnames, b.co_freevars, b.co_argcount) or len(a.co_consts) != len(b.co_consts) \
            or a.co_code != b.co_code and _instructions(a) != _instructions(b):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or repr(x) != repr(y):
            return False
    return True


def _keywords_in_order(positional_defaults: int, required: list) -> bool:
    """Whether keyword-only parameters (``required``: which have no default) taken by position
    after the others keep every default where Python has it: the required ones first, and then
    none of the positional ones may have a default."""
    if not any(required):
        return True
    first = next((k for k, r in enumerate(required) if not r), len(required))
    return positional_defaults == 0 and not any(required[first:])


def _keywords_by_position(tree) -> None:
    """Keyword-only parameters (``def f(x, *, alpha=0.5)``, ``def rhs(y, *, k, c)``) as
    positional ones after the others: the generated code passes every argument by position, in
    the order of ``parameters``; the calls of a helper give them by keyword, as Python does.
    Orders whose defaults would move (``_keywords_in_order``) are left for ``fence`` to refuse."""
    a = tree.args
    if a.kwonlyargs and not a.vararg and _keywords_in_order(len(a.defaults), [d is None for d in a.kw_defaults]):
        a.args, a.defaults = a.args + a.kwonlyargs, a.defaults + [d for d in a.kw_defaults if d is not None]
        a.kwonlyargs, a.kw_defaults = [], []


def parameters(f) -> tuple[list, tuple]:
    """``(names, defaults)`` of ``f``'s parameters as the generated code takes them, all by
    position: the positional ones, then the keyword-only ones (their defaults after the
    positional ones'), as ``_keywords_by_position`` writes them."""
    code = getattr(f, "__code__", None)
    if code is None:
        return [], ()
    names, defaults = list(code.co_varnames[:code.co_argcount]), tuple(getattr(f, "__defaults__", None) or ())
    kw = list(code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount])
    given = getattr(f, "__kwdefaults__", None) or {}
    if kw and not code.co_flags & inspect.CO_VARARGS and _keywords_in_order(len(defaults), [k not in given for k in kw]):
        names, defaults = names + kw, defaults + tuple(given[k] for k in kw if k in given)
    return names, defaults


def taken_by_position(p: inspect.Parameter) -> bool:
    """Whether the generated code takes parameter ``p`` (positional, or keyword-only with a
    default, after the positional ones: ``parameters``)."""
    return p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or \
        p.kind == p.KEYWORD_ONLY and p.default is not p.empty


def by_position(f):
    """``f``, or where it has keyword-only parameters, a function taking them by position
    after the others (as ``parameters`` orders them): what calls the user's function with
    the arguments of an entry point (the references of the checks, the plain runs)."""
    code = getattr(f, "__code__", None)
    names = parameters(f)[0]
    if code is None or len(names) == code.co_argcount:
        return f
    given, kw = code.co_argcount, names[code.co_argcount:]

    def call(*args):
        return f(*args[:given], **dict(zip(kw, args[given:])))
    return call


def _parse_lambda(f) -> ParsedFunction:
    """A lambda as the function ``def _lambda_LINE(args): return body``, found in its
    file by its line and parameters (and, where several match, by the columns its
    code runs at)."""
    code = f.__code__
    where = {"construct": "lambda", "filename": code.co_filename, "lineno": code.co_firstlineno}
    linecache.checkcache(code.co_filename)   # (a file edited, then reloaded: its new text)
    lines = linecache.getlines(code.co_filename, f.__globals__)
    try:
        module = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        module = None
    if module is None or not lines:
        raise SourceError("the source of this lambda cannot be retrieved.", **where,
                          hint="define the function with `def` in a file.")
    params = list(code.co_varnames[:code.co_argcount])
    found = [n for n in ast.walk(module) if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno
             and [a.arg for a in n.args.posonlyargs + n.args.args] == params]
    if len(found) > 1 and hasattr(code, "co_positions"):   # (Python 3.11: the columns of its instructions)
        spots = {(ln, col) for ln, _, col, _ in code.co_positions() if ln is not None and col is not None}
        found = [n for n in found if any((n.body.lineno, n.body.col_offset) <= spot <=
                                         (n.body.end_lineno, n.body.end_col_offset) for spot in spots)
                 and not any(m is not n and isinstance(m, ast.Lambda) for m in ast.walk(n.body))] or found
    if len(found) != 1:
        raise SourceError("this lambda cannot be told apart from another on its line.", **where,
                          hint="define the function with `def`, or put the lambda on a line of its own.")
    lam = found[0]
    if lam.args.vararg or lam.args.kwarg or lam.args.kwonlyargs:
        raise UnsupportedSyntaxError("a lambda with *args, **kwargs or keyword-only parameters is not "
                                     "supported.", **where, hint="define the function with `def`.")
    tree = ast.FunctionDef(name=f"_lambda_{code.co_firstlineno}", args=lam.args, body=[ast.Return(lam.body)],
                           decorator_list=[], returns=None, type_comment=None, type_params=[])
    for node in (tree, tree.body[0]):
        ast.copy_location(node, lam)
    line, checked = _located(f)
    if not checked or line != code.co_firstlineno:   # (a lambda is found by its line: that one must match)
        _check_alone(f, code.co_firstlineno, None)
    all_lines = [line.rstrip("\n") for line in lines]
    return ParsedFunction(f, tree, code.co_filename, ast.unparse(tree), all_lines)


def _file_lines(filename, default) -> list:
    try:
        with tokenize.open(filename) as fh:   # (in the encoding its coding line names)
            return fh.read().splitlines()
    except (OSError, UnicodeDecodeError, SyntaxError, LookupError):
        return default
