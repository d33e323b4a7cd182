"""The grading guard: the part of the grader that lives inside the grading kernel.

The grader imports this module and calls :func:`install` in a fresh kernel, before any
cell of the notebook runs. ``install`` reads a one-time key, records the pristine state of
everything a test relies on, and adds a Python audit hook (PEP 578). Audit hooks cannot be
removed, and this one is referenced from nowhere a notebook can reach. From then on the hook
is the guard's only entry point, and it does three things:

1. **It watches.** Events raised by the notebook's code (frame inspection that reaches a
   test's frames, garbage-collector and ``ctypes`` access, code-object surgery, tracing,
   compiling code under a borrowed file name, opening ``/proc/self/mem``, reading code files
   from disk...) are recorded; the most dangerous ones are refused outright.
2. **It runs the instructor's cells.** The grader does not send a test cell as code; it sends
   a signed request (a string constant carrying a JSON payload and an HMAC over it with
   the one-time key). When IPython executes that request the hook sees it, checks the
   signature and the nonce, and then, in this order: restores every protected object that
   the notebook changed (``torch``, NumPy, builtins, ``course``, the classes of
   ``torch.nn``, ``sys`` hooks, torch's function modes and default dtype, IPython's input
   transformers..., and the code, defaults, keyword defaults and closure cells of every
   protected function: the course's checks and probes keep their tools in closures), gives the test a namespace of its own in which the names bound by
   the notebook's locked cells (``torch``, ``check_close``, ``devices``, a given class...)
   are the instructor's, runs the test there, checks again, and answers.
3. **It answers over a pipe the notebook cannot fake.** Every answer is a JSON line signed
   with the key, written to a file descriptor that the grader holds the other end of. A
   notebook that closes or hijacks the pipe silences the guard, and silence is itself
   reported (the grader treats a missing answer as tampering).

What it does not promise: code running in the same process can, with enough knowledge of
this module, still defeat it (for example by corrupting memory through a path not
covered here). Everything that matters most (hidden tests and solutions on disk, the
gradebook, other students) is kept out of reach by the sandbox, not by this module; this
module makes the ordinary cheats fail and the clever ones visible.

Only the standard library is used here, and every function the hook needs is captured
when it is installed.
"""

from __future__ import annotations

from course.grading.protocol import (
    FD_ENV,
    HIDDEN_BEGIN,
    KEY_FILE_ENV,
    LOCKED_FILE_PREFIX,
    PAYLOAD_PREFIX,
    ROOTS_ENV,
    TEST_FILE_PREFIX,
    channel,
    visible_part,
)

# Modules whose public functions and classes a test relies on. Only those already imported
# (at install time, or by a locked cell) are protected; the list is a filter, not an import list.
PROTECTED_MODULES = (
    "builtins", "copy", "math", "cmath", "operator", "functools", "itertools", "numbers", "random", "io",
    "os", "posixpath", "tempfile", "warnings", "contextlib", "collections", "pathlib", "json", "inspect",
    "types", "statistics", "pickle", "unittest",
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils", "torch.nn.utils.rnn",
    "torch.optim", "torch.optim.lr_scheduler", "torch.utils", "torch.utils.data", "torch.autograd",
    "torch.linalg", "torch.fft", "torch.special", "torch.testing", "torch.random", "torch.serialization",
    "torch.cuda", "torch.backends", "torch.overrides", "torch.library", "torch.func",
    "torchvision", "torchvision.io", "torchvision.datasets", "torchvision.transforms",
    "numpy", "numpy.random", "numpy.linalg", "numpy.testing",
    "pandas",
    "course", "course.checks", "course.device", "course.data", "course.paths", "course.plots", "course.probes",
    "IPython.display",
)
EAGER_IMPORTS = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data", "numpy",
                 "course", "course.checks", "course.device", "course.probes")
# Modules protected name by name in full (ours), rather than public callables only.
FULLY_PROTECTED = ("course", "course.checks", "course.device", "course.probes")
# Types whose dictionaries are protected: every public class of these modules.
TYPE_MODULES = ("torch", "torch.nn", "torch.optim", "torch.utils.data", "course.checks", "course.probes")

_INSTALLED = False


def install() -> str:
    """Install the guard in this process (once). Returns 'ok' or why not."""
    global _INSTALLED
    if _INSTALLED:
        return "already installed"
    import builtins
    import gc
    import hmac
    import importlib
    import json
    import linecache
    import os
    import signal
    import sys
    import threading
    import types
    import warnings

    key_file = os.environ.pop(KEY_FILE_ENV, "")
    try:
        with open(key_file, "rb") as f:
            key = f.read()
        os.unlink(key_file)
    except OSError:
        return "no key"
    fd = int(os.environ.pop(FD_ENV, "-1"))
    roots = tuple(r for r in os.environ.pop(ROOTS_ENV, "").split(os.pathsep) if r)
    _INSTALLED = True

    for name in EAGER_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a course without numpy (or course.probes) still gets a guard
            pass
    _course_file = getattr(sys.modules.get("course"), "__file__", None)
    course_dir = os.path.dirname(os.path.realpath(_course_file)) + os.sep if _course_file else None

    # --- captured tools -------------------------------------------------------------------
    _getframe = sys._getframe
    _write = os.write
    _compile = builtins.compile
    _exec = builtins.exec
    _type = type
    _isinstance = isinstance
    _id = id
    _len = len
    _str = str
    _repr = repr
    _dict = dict
    _list = list
    _set = set
    _sorted = sorted
    _getattr = getattr
    _hasattr = hasattr
    _callable = callable
    _type_setattr = type.__setattr__
    _type_delattr = type.__delattr__
    _obj_setattr = object.__setattr__
    _dumps = json.dumps
    _loads = json.loads
    _compare = hmac.compare_digest
    _CodeType = types.CodeType
    _FunctionType = types.FunctionType
    _tuple = tuple
    _ModuleType = types.ModuleType
    _modules = sys.modules
    _visible_part = visible_part
    _linecache = linecache.cache
    _local = threading.local()
    _current_thread = threading.current_thread
    _enumerate_threads = threading.enumerate
    _main_thread = threading.main_thread()
    _eval = builtins.eval
    _getsignal = signal.getsignal
    _signal = signal.signal
    _getitimer = signal.getitimer
    _setitimer = signal.setitimer
    MISSING = object()

    try:
        from ipykernel.compiler import get_tmp_directory

        cell_dir = get_tmp_directory() + os.sep
    except Exception:  # noqa: BLE001
        cell_dir = "/nonexistent-cell-dir/"

    def is_student_file(filename: str) -> bool:
        if filename.startswith(cell_dir) or filename.startswith("<ipython-input-"):
            return True
        if filename.startswith("<"):
            return not (filename.startswith(TEST_FILE_PREFIX) or filename.startswith(LOCKED_FILE_PREFIX)
                        or filename.startswith("<frozen"))
        return False

    def is_student_obj(obj) -> bool:
        """A function, method, class or instance that comes from the notebook's own cells."""
        fn = _getattr(obj, "__func__", obj)
        code = _getattr(fn, "__code__", None)
        if code is not None:
            return is_student_file(code.co_filename)
        cls = obj if _isinstance(obj, _type) else _type(obj)
        if _getattr(cls, "__module__", "") == "__main__":
            for v in vars(cls).values():
                c = _getattr(_getattr(v, "__func__", v), "__code__", None)
                if c is not None and is_student_file(c.co_filename):
                    return True
        return False

    # --- the pristine state ------------------------------------------------------------------
    def public_callables(mod) -> dict:
        out = {}
        full = mod.__name__ in FULLY_PROTECTED
        for k, v in _list(vars(mod).items()):
            if full or (not k.startswith("_") and (_callable(v) or _isinstance(v, _ModuleType))):
                out[k] = v
            elif mod.__name__ == "builtins" and k in ("__import__", "__build_class__"):
                out[k] = v
        if mod.__name__ == "builtins":
            for k in ("input", "raw_input", "getpass"):  # ipykernel rebinds these for every request
                out.pop(k, None)
        return out

    state = {
        "modules": {},  # name -> (module, {attr: obj})
        "types": {},  # id(cls) -> (cls, label, {attr: obj})
        "bindings": {},  # user_ns name -> obj, bound by the instructor's locked cells
        "pending": [],  # events since the last answer
        "during": [],  # critical events while a test ran
        "untrusted": [],  # reasons why no later test can be trusted
        "used": _set(),  # nonces already seen
        "in_test": False,
        "busy": False,
        "threads": _set(),
        "seen_modules": _set(),
        "carry": {},  # names bound by hidden tests, for later tests only
        # id(fn) -> (fn, label, __code__, __defaults__, __kwdefaults__, its items, closure cells, their contents)
        "functions": {},
    }

    def snapshot_module(name: str) -> None:
        mod = _modules.get(name)
        if mod is None or name in state["modules"]:
            return
        snap = public_callables(mod)
        state["modules"][name] = (mod, snap)
        for k, v in _list(snap.items()):
            if _type(v) is _FunctionType:
                snapshot_function(v, f"{name}.{k}")
        if name in TYPE_MODULES:
            for k, v in _list(vars(mod).items()):
                if _isinstance(v, _type) and not k.startswith("_"):
                    snapshot_type(v, f"{name}.{k}")

    def ours(fn) -> bool:
        """A function of the course package: what it captures in closures is protected too."""
        return course_dir is not None and fn.__code__.co_filename.startswith(course_dir)

    def snapshot_function(fn, label: str) -> None:
        """Record what a protected function runs with: its code, its defaults and, for the course's
        own functions (whose tools live in closures), every captured value, transitively."""
        if _id(fn) in state["functions"] or _len(state["functions"]) >= 50_000 or is_student_obj(fn):
            return
        kw = fn.__kwdefaults__
        deep = ours(fn)
        cells = fn.__closure__ if deep else None
        contents = None
        if cells:
            contents = []
            for cell in cells:
                try:
                    contents.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    contents.append(MISSING)
            contents = _tuple(contents)
        state["functions"][_id(fn)] = (fn, label, fn.__code__, fn.__defaults__, kw,
                                       None if kw is None else _dict(kw), cells, contents)
        for var, value in zip(fn.__code__.co_freevars, contents or ()):
            if _type(value) is _FunctionType:
                snapshot_function(value, f"{label} (its captured {var})")
            elif _isinstance(value, _type) and _getattr(value, "__module__", "").startswith("course"):
                snapshot_type(value, f"{label} (its captured class {var})")

    def snapshot_type(cls, label: str) -> None:
        if _id(cls) in state["types"]:
            return
        try:
            _type_setattr(cls, "__course_guard_probe__", None)
            _type_delattr(cls, "__course_guard_probe__")
        except (TypeError, AttributeError):
            return  # immutable (C) type: nothing to protect
        state["types"][_id(cls)] = (cls, label, {k: v for k, v in vars(cls).items() if is_code_attr(v)})
        for k, v in _list(vars(cls).items()):
            fn = _getattr(v, "__func__", v)  # methods, staticmethods, classmethods
            if _type(fn) is _FunctionType:
                snapshot_function(fn, f"{label}.{k}")

    def is_code_attr(v) -> bool:
        return _callable(v) or _hasattr(v, "__get__") and not _isinstance(v, (_str, bytes, int, float, _dict, _list, tuple))

    def snapshot_all() -> None:
        state["busy"] = True
        try:
            for name in PROTECTED_MODULES:
                snapshot_module(name)
            if shell is not None:
                for cls in _type(shell).__mro__[:-1]:
                    snapshot_type(cls, f"IPython {cls.__name__}")
                kernel = _getattr(shell, "kernel", None)
                if kernel is not None:
                    for cls in _type(kernel).__mro__[:-1]:
                        snapshot_type(cls, f"ipykernel {cls.__name__}")
            torch = _modules.get("torch")
            if torch is not None:
                snapshot_type(torch.Tensor, "torch.Tensor")
                snapshot_type(torch.nn.Parameter, "torch.nn.Parameter")
                snapshot_type(torch.nn.Module, "torch.nn.Module")
        finally:
            state["busy"] = False

    def ip():
        try:
            from IPython import get_ipython as _gi

            return _gi()
        except Exception:  # noqa: BLE001
            return None

    shell = ip()
    pristine = {
        "displayhook": sys.displayhook, "excepthook": sys.excepthook, "breakpointhook": sys.breakpointhook,
        "stdout": sys.stdout, "stderr": sys.stderr, "stdin": sys.stdin,
        "meta_path": _list(sys.meta_path), "path_hooks": _list(sys.path_hooks), "path": _list(sys.path),
        "warnings": _list(warnings.filters), "gc_callbacks": _list(gc.callbacks),
        "signals": {}, "threads": _set(_id(t) for t in _enumerate_threads()),
    }
    for signame in ("SIGALRM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGPROF", "SIGTERM", "SIGXCPU"):
        sig = _getattr(signal, signame, None)
        if sig is not None:
            try:
                pristine["signals"][sig] = _getsignal(sig)
            except (ValueError, OSError):
                pass
    if shell is not None:
        pristine["ip_lists"] = {
            "input_transformers_cleanup": _list(shell.input_transformers_cleanup),
            "input_transformers_post": _list(shell.input_transformers_post),
            "ast_transformers": _list(shell.ast_transformers),
        }
        pristine["ip_events"] = {k: _list(v) for k, v in shell.events.callbacks.items()}
        pristine["ip_instance"] = _set(vars(shell))
    torch_mod = _modules.get("torch")
    if torch_mod is not None:
        pristine["dtype"] = torch_mod.get_default_dtype()
        pristine["grad"] = torch_mod.is_grad_enabled()
        pristine["device"] = _getattr(torch_mod, "get_default_device", lambda: None)()
        lib = _getattr(torch_mod, "library", None)
        pristine["impls"] = frozenset(_getattr(lib, "_impls", ()) or ())
    snapshot_all()
    state["seen_modules"] = _set(_modules)

    # --- reporting --------------------------------------------------------------------------
    def note(kind: str, detail: str, critical: bool = False) -> None:
        item = ("!" if critical else "") + f"{kind}: {detail}"[:300]
        bucket = state["pending"]
        if item not in bucket and _len(bucket) < 200:
            bucket.append(item)
        if critical and state["in_test"] and item[1:] not in state["during"]:
            state["during"].append(item[1:])

    sign, _seal, unseal = channel(key)  # the channel's tools, captured now (protocol.py)

    def answer(nonce: str, payload: dict) -> None:
        payload = _dict(payload, n=nonce, events=state["pending"][:200])
        state["pending"] = []
        body = _dumps(payload, default=_str)
        line = (sign(body) + " " + body + "\n").encode()
        try:
            view = memoryview(line)
            while view:
                n = _write(fd, view)
                view = view[n:]
        except OSError:
            pass

    # --- check and restore ------------------------------------------------------------------
    def decorates(new, old) -> bool:
        """``new`` is a library's wrapper around ``old`` (torch wraps some functions lazily)."""
        if is_student_obj(new):
            return False
        for _ in range(6):
            new = _getattr(new, "__wrapped__", None)
            if new is None:
                return False
            if new is old:
                return True
        return False

    def restore_functions(found: list) -> None:
        """Put back the code, defaults, keyword defaults and captured values of protected functions."""
        for fn, label, code, defaults, kw, kw_items, cells, contents in _list(state["functions"].values()):
            if fn.__code__ is not code:
                found.append(f"rewrote {label}.__code__")
                try:
                    fn.__code__ = code
                except (TypeError, ValueError):
                    pass
            if fn.__defaults__ is not defaults:
                found.append(f"rewrote {label}.__defaults__")
                fn.__defaults__ = defaults
            cur = fn.__kwdefaults__
            if cur is not kw or (kw is not None and (_len(kw) != _len(kw_items)
                                                     or any(kw.get(k, MISSING) is not v for k, v in kw_items.items()))):
                found.append(f"rewrote {label}.__kwdefaults__")
                if kw is not None:
                    kw.clear()
                    kw.update(kw_items)
                fn.__kwdefaults__ = kw
            if cells:
                for var, cell, old in zip(code.co_freevars, cells, contents):
                    try:
                        now = cell.cell_contents
                    except ValueError:
                        now = MISSING
                    if now is not old:
                        found.append(f"rewrote {label}'s captured {var} (a closure cell)")
                        if old is MISSING:
                            del cell.cell_contents
                        else:
                            cell.cell_contents = old

    def restore(found: list) -> None:
        """Put every protected object back; describe in ``found`` what had changed."""
        state["busy"] = True
        try:
            for name, (mod, snap) in _list(state["modules"].items()):
                if _modules.get(name) is not mod:
                    found.append(f"replaced the module {name} in sys.modules")
                    _modules[name] = mod
                d = vars(mod)
                for k, v in _list(snap.items()):
                    cur = d.get(k, MISSING)
                    if cur is not v:
                        if cur is not MISSING and decorates(cur, v):
                            snap[k] = cur
                            continue
                        found.append(f"changed {name}.{k}")
                        d[k] = v
            for _key, (cls, label, snap) in _list(state["types"].items()):
                d = vars(cls)
                for k, v in _list(snap.items()):
                    cur = d.get(k, MISSING)
                    if cur is not v:
                        if cur is not MISSING and decorates(cur, v):
                            snap[k] = cur
                            continue
                        found.append(f"changed {label}.{k}")
                        try:
                            _type_setattr(cls, k, v)
                        except (TypeError, AttributeError):
                            pass
                for k in _list(d):
                    if k not in snap and is_code_attr(d[k]):
                        found.append(f"added {label}.{k}")
                        try:
                            _type_delattr(cls, k)
                        except (TypeError, AttributeError):
                            pass
            restore_functions(found)
            for attr in ("displayhook", "breakpointhook", "stdout", "stderr"):
                if _getattr(sys, attr) is not pristine[attr]:
                    found.append(f"replaced sys.{attr}")
                    setattr(sys, attr, pristine[attr])
            for attr in ("meta_path", "path_hooks"):
                cur = _getattr(sys, attr)
                if _len(cur) != _len(pristine[attr]) or any(a is not b for a, b in zip(cur, pristine[attr])):
                    theirs = [x for x in cur if is_student_obj(x)]
                    if theirs or any(all(x is not y for y in cur) for x in pristine[attr]):
                        found.append(f"changed sys.{attr} (import hooks)")
                        cur[:] = [x for x in pristine[attr]] + [x for x in cur if not is_student_obj(x) and all(x is not y for y in pristine[attr])]
                    pristine[attr] = _list(cur)
            if sys.path != pristine["path"]:
                sys.path[:] = pristine["path"]
            if sys.gettrace() is not None:
                found.append("left a trace function (sys.settrace)")
                sys.settrace(None)
            if sys.getprofile() is not None:
                found.append("left a profile function (sys.setprofile)")
                sys.setprofile(None)
            if _getattr(threading, "_trace_hook", None) is not None or _getattr(threading, "_profile_hook", None) is not None:
                found.append("left a thread trace/profile hook")
                threading.settrace(None)
                threading.setprofile(None)
            if warnings.filters != pristine["warnings"]:
                warnings.filters[:] = pristine["warnings"]
                warnings._filters_mutated()
            if gc.callbacks != pristine["gc_callbacks"]:
                found.append("added garbage-collector callbacks")
                gc.callbacks[:] = pristine["gc_callbacks"]
            if _current_thread() is _main_thread:
                for sig, handler in pristine["signals"].items():
                    try:
                        if _getsignal(sig) is not handler:
                            found.append(f"changed the handler of signal {sig}")
                            _signal(sig, handler)
                    except (ValueError, OSError, TypeError):
                        pass
                for which in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
                    if _getitimer(which) != (0.0, 0.0):
                        found.append("left a timer running (signal.setitimer/alarm)")
                        _setitimer(which, 0)
            if shell is not None:
                for attr, lst in pristine["ip_lists"].items():
                    cur = _getattr(shell, attr)
                    theirs = [x for x in cur if is_student_obj(x)]
                    if theirs or any(all(x is not y for y in cur) for x in lst):
                        found.append(f"changed IPython's {attr}")
                        cur[:] = [x for x in cur if not is_student_obj(x)]
                        for x in lst:
                            if all(x is not y for y in cur):
                                cur.append(x)
                for ev, cur in shell.events.callbacks.items():
                    theirs = [x for x in cur if is_student_obj(x)]
                    if theirs:
                        found.append(f"registered an IPython '{ev}' callback")
                        cur[:] = [x for x in cur if not is_student_obj(x)]
                for k in _list(vars(shell)):
                    if k not in pristine["ip_instance"] and _callable(vars(shell)[k]):
                        found.append(f"replaced IPython's {k}")
                        del vars(shell)[k]
            torch = _modules.get("torch")
            if torch is not None and "dtype" in pristine:
                C = torch._C
                try:
                    while C._len_torch_function_stack() > 0:
                        found.append("left a torch function mode active (TorchFunctionMode)")
                        C._pop_torch_function_stack()
                    while C._len_torch_dispatch_stack() > 0:
                        found.append("left a torch dispatch mode active (TorchDispatchMode)")
                        C._pop_torch_dispatch_stack()
                except Exception:  # noqa: BLE001
                    pass
                if torch.get_default_dtype() is not pristine["dtype"]:
                    torch.set_default_dtype(pristine["dtype"])
                if torch.is_grad_enabled() != pristine["grad"]:
                    torch.set_grad_enabled(pristine["grad"])
                if pristine.get("device") is not None and torch.get_default_device() != pristine["device"]:
                    torch.set_default_device(pristine["device"])
                impls = frozenset(_getattr(torch.library, "_impls", ()) or ())
                new_impls = [i for i in impls - pristine["impls"]
                             if i.startswith("aten/") and not i.endswith(("/Meta", "/FakeTensor"))]
                if new_impls:
                    why = "overrode PyTorch operators with torch.library: " + ", ".join(_sorted(new_impls))[:200]
                    if why not in state["untrusted"]:
                        state["untrusted"].append(why)
            for t in _enumerate_threads():
                if _id(t) in pristine["threads"] or _id(t) in state["threads"]:
                    continue
                target = _getattr(t, "_target", None)
                if (is_student_obj(target) if target is not None else is_student_obj(_type(t).run)) and t.is_alive():
                    state["threads"].add(_id(t))
                    why = f"started a background thread ({t.name}) that keeps running the notebook's code"
                    if why not in state["untrusted"]:
                        state["untrusted"].append(why)
            new = _set(_modules) - state["seen_modules"]
            for name in _sorted(new):
                m = _modules.get(name)
                path = _getattr(m, "__file__", None) or ""
                if path and not any(path.startswith(r) for r in roots):
                    note("imported code from the working folder", f"{name} ({path})")
            state["seen_modules"] |= new
        finally:
            state["busy"] = False

    def user_ns() -> dict:
        return shell.user_ns if shell is not None else _modules["__main__"].__dict__

    import ast

    try:
        from IPython.core.inputtransformer2 import TransformerManager

        _transform = TransformerManager().transform_cell
    except Exception:  # noqa: BLE001
        _transform = None
    _displayhook = sys.displayhook

    def run_source(source: str, filename: str, ns: dict):
        """Compile (magics turned into calls), run in ``ns``, return the last expression's value."""
        __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
        if _transform is not None:
            try:
                source = _transform(source)
            except Exception:  # noqa: BLE001 - let compile report the syntax error
                pass
        if not filename.startswith(TEST_FILE_PREFIX):  # a test's source stays out of linecache
            _linecache[filename] = (_len(source), None, source.splitlines(True), filename)
        tree = ast.parse(source, filename, "exec")
        last = None
        if tree.body and _isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        _exec(_compile(tree, filename, "exec"), ns)
        if last is not None:
            return _eval(_compile(last, filename, "eval"), ns)
        return None

    class GuardViolation(Exception):
        """The grader found something during this test that makes its result untrustworthy."""

    GuardViolation.__module__ = "grader"

    IPYTHON_NAMES = frozenset({"_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih", "_dh", "In", "Out",
                               "exit", "quit", "get_ipython", "__builtins__", "__name__", "__doc__"})

    def do_locked(nonce: str, name: str, source: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        found: list = []
        restore(found)
        ns = user_ns()
        before = _dict(ns)
        err = None
        value = None
        try:
            value = run_source(source, f"{LOCKED_FILE_PREFIX}{name}>", ns)
        except BaseException as e:  # noqa: BLE001 - re-raised below, after answering
            err = e
        for k, v in ns.items():
            if k in IPYTHON_NAMES or k.startswith("_i"):
                continue
            if before.get(k, MISSING) is not v:
                state["bindings"][k] = v
        after: list = []
        restore(after)  # a locked cell that runs the notebook's code may meet tampering too
        for name_ in PROTECTED_MODULES:
            snapshot_module(name_)  # modules the locked cell imported
        state["seen_modules"] |= _set(_modules)
        pristine["warnings"] = _list(warnings.filters)
        if torch_mod is not None:
            pristine["dtype"] = torch_mod.get_default_dtype()
            pristine["grad"] = torch_mod.is_grad_enabled()
        answer(nonce, {"action": "locked", "restored": found + after, "ok": err is None})
        if err is not None:
            raise err
        if value is not None:
            _displayhook(value)

    def do_test(nonce: str, name: str, source: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        found: list = []
        restore(found)
        ns_user = user_ns()
        ns = {**state["carry"], **ns_user}
        rebound = []
        for k, v in state["bindings"].items():
            if ns.get(k, MISSING) is not v:
                if _callable(v) or _isinstance(v, _ModuleType):
                    rebound.append(k)
                ns[k] = v
        if rebound:
            found.append("redefined " + ", ".join(_sorted(rebound)) + " (the test used the original)")
        before = _dict(ns)
        state["during"] = []
        state["in_test"] = True
        err = None
        value = None
        try:
            value = run_source(source, f"{TEST_FILE_PREFIX}{name}>", ns)
        except BaseException as e:  # noqa: BLE001 - re-raised below, after answering
            err = e
        finally:
            state["in_test"] = False
        during: list = _list(state["during"])
        after: list = []
        restore(after)
        hidden_only = hidden_names(source)
        for k, v in ns.items():
            if before.get(k, MISSING) is not v:
                if k in hidden_only:
                    state["carry"][k] = v  # later tests may use it; the learner's namespace never sees it
                else:
                    ns_user[k] = v
        violations = during + [f"during the test the notebook's code {a}" for a in after] + _list(state["untrusted"])
        answer(nonce, {"action": "test", "restored": found, "violations": violations,
                       "ok": err is None and not violations,
                       "error": None if err is None else f"{_type(err).__name__}: {err}"[:300]})
        if violations:
            msg = ("The grader does not count this test: " + "; ".join(violations[:3])
                   + ". A solution may not change PyTorch or the course's helpers, nor look into the tests.")
            raise GuardViolation(msg) from None
        if err is not None:
            raise err
        if value is not None:
            _displayhook(value)

    def stored_names(source: str) -> set:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return _set()
        out = _set()
        for node in ast.walk(tree):
            if _isinstance(node, ast.Name) and _isinstance(node.ctx, ast.Store):
                out.add(node.id)
            elif _isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(node.name)
            elif _isinstance(node, ast.alias):
                out.add((node.asname or node.name).split(".")[0])
        return out

    def hidden_names(source: str) -> set:
        """Names that only the hidden part of a test binds (the learner never saw that code)."""
        if HIDDEN_BEGIN not in source:
            return _set()
        shown = "\n".join(_visible_part(source))
        try:
            ast.parse(shown)
        except SyntaxError:
            return _set()
        return stored_names(source) - stored_names(shown)

    def do_check(nonce: str) -> None:
        found: list = []
        restore(found)
        answer(nonce, {"action": "check", "restored": found, "untrusted": _list(state["untrusted"])})

    def handle_payload(text: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        try:
            mac, body = text[_len(PAYLOAD_PREFIX):].split(" ", 1)
        except ValueError:
            return
        if not _compare(mac, sign(body)):
            note("forged a grader request", "bad signature")
            return
        req = _loads(body)
        nonce = req.get("n", "")
        if nonce in state["used"]:
            note("replayed a grader request", nonce)
            return
        state["used"].add(nonce)
        if req.get("src"):
            req["src"] = unseal(nonce, req["src"])
        action = req.get("a")
        if action == "test":
            do_test(nonce, req["name"], req["src"])
        elif action == "locked":
            do_locked(nonce, req["name"], req["src"])
        elif action == "check":
            do_check(nonce)

    # --- the hook ------------------------------------------------------------------------------
    WATCH = frozenset({
        "sys._getframe", "sys._current_frames", "object.__getattr__", "object.__setattr__", "object.__delattr__",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "code.__new__", "compile", "exec",
        "sys.settrace", "sys.setprofile", "sys.addaudithook", "open", "os.system", "subprocess.Popen",
        "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg", "ctypes.dlopen",
        "ctypes.dlsym", "ctypes.addressof", "ctypes.cdata", "ctypes.cdata/buffer", "ctypes.string_at",
        "ctypes.wstring_at", "ctypes.call_function", "ctypes.create_string_buffer", "ctypes.PyObj_FromPtr",
        "function.__new__", "sys.setswitchinterval", "signal.pthread_kill", "sys.monitoring.register_callback",
    })
    FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
    WALKERS = (os.sep + "inspect.py", os.sep + "traceback.py")
    CTYPES = (os.sep + "ctypes" + os.sep + "__init__.py",)
    CODE_SUFFIXES = (".py", ".pyc", ".pyw", ".ipynb", ".pth", ".so")
    MEMORY_EVENTS = frozenset({"ctypes.string_at", "ctypes.wstring_at", "ctypes.addressof", "ctypes.cdata",
                               "ctypes.cdata/buffer", "ctypes.PyObj_FromPtr"})
    here = os.getcwd() + os.sep

    def student_on_stack(frame) -> bool:
        depth = 0
        while frame is not None and depth < 400:
            fn = frame.f_code.co_filename
            if is_student_file(fn):
                return True
            if fn.startswith(TEST_FILE_PREFIX) or fn.startswith(LOCKED_FILE_PREFIX):
                return False
            frame = frame.f_back
            depth += 1
        return False

    def asked_by_student(frame, through: tuple = ()) -> bool:
        """Whether the code that called into a module (inspect, traceback, ctypes: past their own
        frames) is the notebook's, rather than a library's."""
        through = through or WALKERS
        depth = 0
        while frame is not None and (frame.f_code.co_filename.endswith(through) or os.sep + "ctypes" + os.sep in frame.f_code.co_filename
                                     and through is CTYPES) and depth < 20:
            frame = frame.f_back
            depth += 1
        return frame is not None and is_student_file(frame.f_code.co_filename)

    def refuse(what: str):
        raise PermissionError(f"{what} is not allowed while the notebook is graded (the grader refused it)")

    def analyse(event: str, args: tuple, caller) -> None:
        student_caller = caller is not None and is_student_file(caller.f_code.co_filename)
        if event == "exec":
            code = args[0] if args else None
            if _type(code) is _CodeType:
                for c in code.co_consts:
                    if _type(c) is _str and c.startswith(PAYLOAD_PREFIX):
                        return "payload", c
                if student_caller:
                    note("ran code with exec", code.co_filename)
                fn = code.co_filename
                if not (fn.startswith("<") or fn.startswith(cell_dir) or any(fn.startswith(r) for r in roots)):
                    note("ran code from a file outside the course", fn)
            return None
        if event in ("sys._getframe", "object.__getattr__"):
            # f_back, f_locals and f_globals are not audited, so a frame in the learner's hands
            # can be walked up to the test's. The guard therefore refuses, while a test runs,
            # every way for the learner's code to get hold of a frame: sys._getframe (directly
            # or through inspect/traceback), a traceback's or a generator's frame.
            if event == "object.__getattr__" and (_len(args) < 2 or args[1] not in FRAME_ATTRS):
                return None
            what = "sys._getframe" if event == "sys._getframe" else args[1]
            if student_caller:
                via = None
            elif event == "sys._getframe" and caller is not None and caller.f_code.co_filename.endswith(WALKERS) \
                    and asked_by_student(caller):
                via = caller.f_code.co_filename.rsplit(os.sep, 1)[-1]
            else:
                return None
            if state["in_test"]:
                note("inspected the test's stack frames", what + (f" via {via}" if via else ""), critical=True)
                refuse("Looking at stack frames during a test")
            # Outside a test the frames in reach are the notebook's own, but a traceback kept
            # from a failed test (sys.last_traceback) leads into the test's code: refused too.
            note("looked at stack frames", what, critical=True)
            refuse("Looking at stack frames")
            return None
        if event == "sys._current_frames":
            if student_on_stack(caller):
                note("inspected the stack frames of all threads", "sys._current_frames", critical=True)
                refuse("sys._current_frames()")
            return None
        if event in ("object.__setattr__", "object.__delattr__"):
            obj = args[0] if args else None
            attr = args[1] if _len(args) > 1 else ""
            if _isinstance(obj, _type):
                if _id(obj) in state["types"] and (student_caller or student_on_stack(caller)):
                    note("patched a protected class", f"{state['types'][_id(obj)][1]}.{attr}", critical=True)
            elif _type(obj) is _FunctionType and attr in ("__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__"):
                # Only the protected functions: the library sets these on functions it has just made
                # (collections.namedtuple sets __new__.__defaults__), with the notebook on the stack.
                if _id(obj) in state["functions"] and (student_caller or student_on_stack(caller)):
                    note("rewrote a function's code", f"{_getattr(obj, '__qualname__', '?')}.{attr}", critical=True)
                    refuse(f"Changing {attr} of a function")
            return None
        if event.startswith("gc.get_"):
            if student_caller or student_on_stack(caller):
                note("searched the garbage collector's objects", event, critical=True)
                refuse(f"{event}()")
            return None
        if event.startswith("ctypes."):
            if student_caller or (event in MEMORY_EVENTS and asked_by_student(caller, CTYPES)):
                note("used ctypes", event, critical=True)
                refuse("ctypes")
            return None
        if event == "code.__new__":
            if student_caller:
                note("built a code object by hand", "types.CodeType / code.replace", critical=True)
                refuse("Building code objects")
            return None
        if event == "compile":
            if student_caller or student_on_stack(caller):
                src = args[0] if args else None
                filename = args[1] if _len(args) > 1 else None
                if _isinstance(src, (_str, bytes)):
                    fn = filename if _isinstance(filename, _str) else ""
                    if fn and not fn.startswith("<"):
                        note("compiled code under a borrowed file name", fn, critical=True)
                        refuse("Compiling code under a real file's name")
                    if student_caller:
                        note("compiled code at run time (exec/eval/compile)", (fn or "<string>"), critical=True)
                        if state["in_test"]:
                            refuse("exec/eval/compile")
            return None
        if event in ("sys.settrace", "sys.setprofile", "sys.monitoring.register_callback"):
            if student_caller or student_on_stack(caller):
                note("installed a trace or profile function", event, critical=True)
                refuse(event)
            return None
        if event == "sys.addaudithook":
            note("tried to add an audit hook", "sys.addaudithook", critical=True)
            refuse("sys.addaudithook")
        if event == "open":
            path = args[0] if args else None
            if _isinstance(path, bytes):
                path = path.decode("utf-8", "replace")
            if not _isinstance(path, _str):
                return None
            if path.startswith("/proc/") and path.endswith("/mem"):
                note("opened the process's memory", path, critical=True)
                refuse(f"Opening {path}")
            mode = args[1] if _len(args) > 1 and _isinstance(args[1], _str) else "r"
            if path.endswith(CODE_SUFFIXES) and not any(path.startswith(r) for r in roots) and (student_caller or student_on_stack(caller)):
                inside = not path.startswith("/") or path.startswith(here)
                if inside:
                    note("opened a code file", f"{path} ({mode})")
                else:
                    note("tried to open a code file outside its folder", path, critical=True)
            return None
        if event in ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty"):
            if student_caller:
                note("started a process", event)
            return None
        if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if student_caller:
                note("sent a signal", event)
            return None
        if event == "function.__new__" and student_caller:
            note("built a function by hand", "types.FunctionType")
        return None

    def hook(event: str, args: tuple) -> None:
        __tracebackhide__ = True  # noqa: F841
        if event not in WATCH:
            return
        if _getattr(_local, "inside", False) or state["busy"]:
            return
        _local.inside = True
        try:
            caller = _getframe(1)
            result = analyse(event, args, caller)
        finally:
            _local.inside = False
        if result is not None and result[0] == "payload":
            handle_payload(result[1])

    sys.addaudithook(hook)
    return "ok"
