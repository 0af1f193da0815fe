"""Run emitted modules where adcompiler cannot be imported.

Usage: ``python -I isolated_driver.py CASES.pkl RESULTS.pkl``. CASES maps a
case id to ``(module_path, function_name, arguments)``; RESULTS maps it to
``("ok", returned, arguments_after_the_call)`` or ``("error", message)``.
Before anything else an import hook makes every ``import adcompiler`` fail,
and the repository is removed from ``sys.path``, so a module that still
needed adcompiler fails here.
"""
import importlib.abc
import importlib.util
import os
import pickle
import sys
import traceback


class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "adcompiler" or name.startswith("adcompiler."):
            raise ModuleNotFoundError(f"adcompiler is blocked in this process ({name})")


def _isolate(repo: str) -> None:
    sys.meta_path.insert(0, _Refuse())
    sys.path[:] = [p for p in sys.path if p and not os.path.abspath(p).startswith(repo)]
    for name in list(sys.modules):
        if name.split(".")[0] == "adcompiler":
            del sys.modules[name]
    try:
        import adcompiler  # noqa: F401
    except ModuleNotFoundError:
        return
    raise SystemExit("adcompiler is still importable: the isolation does not work")


def main() -> None:
    cases_path, results_path, repo = sys.argv[1:4]
    _isolate(repo)
    with open(cases_path, "rb") as fh:
        cases = pickle.load(fh)
    results = {}
    for key, (path, fname, args, kwargs) in cases.items():
        try:
            spec = importlib.util.spec_from_file_location(f"emitted_{len(results)}", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            ret = getattr(mod, fname)(*args, **kwargs)
            results[key] = ("ok", ret, args)
        except Exception:  # noqa: BLE001 (reported to the test)
            results[key] = ("error", traceback.format_exc())
    results["__modules__"] = sorted(m for m in sys.modules if m.split(".")[0] == "adcompiler")
    with open(results_path, "wb") as fh:
        pickle.dump(results, fh)


if __name__ == "__main__":
    main()
