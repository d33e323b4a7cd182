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
   protected function: the course's checks and probes keep their tools in closures), gives
   the test a namespace of its own in which the names bound by the notebook's locked cells
   (``torch``, ``check_close``, ``devices``, a given class...) are the instructor's, runs the
   test there, checks again, and answers.
3. **It answers over a pipe the notebook cannot fake.** Every answer is a JSON line signed
   with the key, written to a file descriptor that the grader holds the other end of. A
   notebook that closes or hijacks the pipe silences the guard, and silence is itself
   reported (the grader treats a missing answer as tampering).

What it does not promise: code running in the same process can, with enough knowledge of
this module, still defeat it (for example by corrupting memory through a path not
covered here). Everything that matters most (hidden tests and solutions on disk, the
gradebook, other students) is kept out of reach by the sandbox, not by this module; this
module makes the ordinary cheats fail and the clever ones visible.

How the module is built
-----------------------
:func:`install` is short: it calls :func:`capture` once, then :func:`build`, which calls each
``make_*`` factory once, in order, and wires what they return together:

=========================  ===============================================================
``capture``                the tools: builtins, standard-library functions and this
                           module's constants, taken at install (a namespace ``t``)
``make_origin``            whose code is this: the notebook's, a test's, a library's
``make_snapshots``         record protected modules, classes and functions
``capture_pristine``       record ``sys`` hooks, signals, IPython's lists, torch's modes
``make_reporter``          ``note`` an event; ``answer`` the grader over the pipe
``make_object_restorer``   put protected modules, classes and functions back
``make_runtime_restorer``  put ``sys``, signals, IPython and torch back; watch threads
``make_restore``           both restorers, with the hook kept out meanwhile
``make_after_locked``      protect what a locked cell imported, accept what it set up
``make_user_ns``           the notebook's namespace
``make_runner``            compile and run an instructor's cell in a namespace
``make_name_parsers``      the names a cell binds, and those only its hidden part binds
``make_payload_handlers``  run a locked cell, a test cell, or the final check
``make_request_handler``   verify a signed request and pass it to its handler
``make_event_table``       audit event name -> the function that judges it
``make_hook``              the audit hook itself
=========================  ===============================================================

Each factory starts by binding, as locals, the tools it needs from ``t``; the functions it
returns use only those (closure cells), never a global name. A notebook that later rebinds
``builtins.isinstance`` or a constant of this module therefore changes nothing the guard
sees (``tests/grading/test_guard_unit.py`` checks this, and runs every factory in-process).

Only the standard library is used here.
"""

from __future__ import annotations

import ast
import builtins
import gc
import importlib
import json
import linecache
import os
import signal
import sys
import threading
import types
import warnings
from typing import Any

from course.grading.protocol import (
    FD_ENV,
    HIDDEN_BEGIN,
    KEY_FILE_ENV,
    LOCKED_FILE_PREFIX,
    PAYLOAD_PREFIX,
    ROOTS_ENV,
    TEST_FILE_PREFIX,
    ForgedRequest,
    channel,
    request_reader,
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
    "course", "course.checks", "course.device", "course.data", "course.paths", "course.plots", "course.probes", "course.i18n",
    "IPython.display",
)
EAGER_IMPORTS = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data", "numpy",
                 "course", "course.checks", "course.device", "course.probes")
# Modules protected name by name in full (ours), rather than public callables only.
FULLY_PROTECTED = ("course", "course.checks", "course.device", "course.probes", "course.i18n")
# Types whose dictionaries are protected: every public class of these modules.
TYPE_MODULES = ("torch", "torch.nn", "torch.optim", "torch.utils.data", "course.checks", "course.probes")
# ipykernel rebinds these builtins for every request: not protected.
KERNEL_BUILTINS = ("input", "raw_input", "getpass")
# Private builtins that a test relies on all the same.
PRIVATE_BUILTINS = ("__import__", "__build_class__")
# How many functions are snapshotted at most (closures are followed transitively).
MAX_FUNCTIONS = 50_000
# The function attributes that decide what a function runs.
FUNCTION_ATTRS = ("__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__")
# Signals whose handlers a notebook may not leave changed.
SIGNALS = ("SIGALRM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGPROF", "SIGTERM", "SIGXCPU")
# Names IPython keeps in the user namespace: never an instructor's binding.
IPYTHON_NAMES = frozenset({"_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih", "_dh", "In", "Out",
                           "exit", "quit", "get_ipython", "__builtins__", "__name__", "__doc__"})
# Attributes that hand out a frame (from a traceback, a generator, a coroutine).
FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
# Library modules that walk frames for whoever calls them.
FRAME_WALKERS = (os.sep + "inspect.py", os.sep + "traceback.py")
CTYPES_DIR = os.sep + "ctypes" + os.sep
CODE_SUFFIXES = (".py", ".pyc", ".pyw", ".ipynb", ".pth", ".so")
MEMORY_EVENTS = frozenset({"ctypes.string_at", "ctypes.wstring_at", "ctypes.addressof", "ctypes.cdata",
                           "ctypes.cdata/buffer", "ctypes.PyObj_FromPtr"})
GC_EVENTS = ("gc.get_objects", "gc.get_referrers", "gc.get_referents")
CTYPES_EVENTS = ("ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof", "ctypes.cdata", "ctypes.cdata/buffer",
                 "ctypes.string_at", "ctypes.wstring_at", "ctypes.call_function", "ctypes.create_string_buffer",
                 "ctypes.PyObj_FromPtr")
TRACE_EVENTS = ("sys.settrace", "sys.setprofile", "sys.monitoring.register_callback")
PROCESS_EVENTS = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty")
SIGNAL_EVENTS = ("os.kill", "os.killpg", "signal.pthread_kill")

_INSTALLED = False


def install() -> str:
    """Install the guard in this process (once). Returns 'ok' or why not."""
    global _INSTALLED
    if _INSTALLED:
        return "already installed"
    secret = read_secret()
    if secret is None:
        return "no key"
    key, fd, roots = secret
    _INSTALLED = True
    for name in EAGER_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a course without numpy (or course.probes) still gets a guard
            pass
    t = capture(cell_dir=kernel_cell_dir(), roots=roots, course_dir=course_dir(), here=os.getcwd() + os.sep)
    sys.addaudithook(build(t, ipython_shell(), key, fd))
    return "ok"


# --- install time: what the kernel was given, and where things are ---------------------------

def read_secret() -> tuple[bytes, int, tuple[str, ...]] | None:
    """The one-time key (its file is deleted), the answer pipe's descriptor and the trusted
    code roots, all taken out of the environment; None without a key."""
    key_file = os.environ.pop(KEY_FILE_ENV, "")
    try:
        with open(key_file, "rb") as f:
            key = f.read()
        os.unlink(key_file)
    except OSError:
        return None
    fd = int(os.environ.pop(FD_ENV, "-1"))
    roots = tuple(r for r in os.environ.pop(ROOTS_ENV, "").split(os.pathsep) if r)
    return key, fd, roots


def course_dir() -> str | None:
    """The folder of the ``course`` package (with a trailing separator), if imported."""
    filename = getattr(sys.modules.get("course"), "__file__", None)
    return os.path.dirname(os.path.realpath(filename)) + os.sep if filename else None


def kernel_cell_dir() -> str:
    """Where ipykernel writes the notebook's cells (their code's file names start there)."""
    try:
        from ipykernel.compiler import get_tmp_directory

        return get_tmp_directory() + os.sep
    except Exception:  # noqa: BLE001
        return "/nonexistent-cell-dir/"


def ipython_shell() -> Any:
    try:
        from IPython import get_ipython

        return get_ipython()
    except Exception:  # noqa: BLE001
        return None


def capture(cell_dir: str, roots: tuple[str, ...], course_dir: str | None, here: str) -> types.SimpleNamespace:
    """The tools the guard uses after install, taken now: builtins, standard-library functions,
    the constants of this module and of the protocol, and where things are. (A test may
    change a constant here, before the factories read it.)"""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        transform = TransformerManager().transform_cell
    except Exception:  # noqa: BLE001
        transform = None
    return types.SimpleNamespace(
        # where things are
        cell_dir=cell_dir, roots=roots, course_dir=course_dir, here=here, sep=os.sep,
        # builtins
        all=all, any=any, callable=callable, dict=dict, frozenset=frozenset, getattr=getattr, hasattr=hasattr,
        id=id, isinstance=isinstance, len=len, list=list, memoryview=memoryview, range=range, set=set,
        setattr=setattr, sorted=sorted, str=str, tuple=tuple, type=type, vars=vars, zip=zip,
        bytes=bytes, int=int, float=float, compile=builtins.compile, exec=builtins.exec, eval=builtins.eval,
        BaseException=BaseException, Exception=Exception, AttributeError=AttributeError, OSError=OSError,
        PermissionError=PermissionError, SyntaxError=SyntaxError, TypeError=TypeError, ValueError=ValueError,
        type_setattr=type.__setattr__, type_delattr=type.__delattr__,
        # the standard library
        ast=types.SimpleNamespace(parse=ast.parse, walk=ast.walk, Name=ast.Name, Store=ast.Store, alias=ast.alias,
                                  definitions=(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
                                  Expr=ast.Expr, Expression=ast.Expression),
        CodeType=types.CodeType, FunctionType=types.FunctionType, ModuleType=types.ModuleType,
        SimpleNamespace=types.SimpleNamespace,
        dumps=json.dumps, write=os.write,
        linecache=linecache.cache, transform=transform,
        sys=sys, modules=sys.modules, getframe=sys._getframe, gettrace=sys.gettrace, settrace=sys.settrace,
        getprofile=sys.getprofile, setprofile=sys.setprofile,
        threading=threading, thread_local=threading.local, current_thread=threading.current_thread,
        main_thread=threading.main_thread(), enumerate_threads=threading.enumerate,
        threading_settrace=threading.settrace, threading_setprofile=threading.setprofile,
        warnings=warnings, filters_mutated=getattr(warnings, "_filters_mutated", lambda: None), gc=gc,
        signal=signal, getsignal=signal.getsignal, set_signal=signal.signal, getitimer=signal.getitimer,
        setitimer=signal.setitimer, timers=(signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF),
        # the protocol
        PAYLOAD_PREFIX=PAYLOAD_PREFIX, TEST_FILE_PREFIX=TEST_FILE_PREFIX, LOCKED_FILE_PREFIX=LOCKED_FILE_PREFIX,
        HIDDEN_BEGIN=HIDDEN_BEGIN, visible_part=visible_part, ForgedRequest=ForgedRequest,
        # this module's constants
        PROTECTED_MODULES=PROTECTED_MODULES, FULLY_PROTECTED=FULLY_PROTECTED, TYPE_MODULES=TYPE_MODULES,
        KERNEL_BUILTINS=KERNEL_BUILTINS, PRIVATE_BUILTINS=PRIVATE_BUILTINS, MAX_FUNCTIONS=MAX_FUNCTIONS,
        FUNCTION_ATTRS=FUNCTION_ATTRS, IPYTHON_NAMES=IPYTHON_NAMES, FRAME_ATTRS=FRAME_ATTRS,
        FRAME_WALKERS=FRAME_WALKERS, CTYPES_DIR=CTYPES_DIR, CODE_SUFFIXES=CODE_SUFFIXES,
        MEMORY_EVENTS=MEMORY_EVENTS, GC_EVENTS=GC_EVENTS, CTYPES_EVENTS=CTYPES_EVENTS, TRACE_EVENTS=TRACE_EVENTS,
        PROCESS_EVENTS=PROCESS_EVENTS, SIGNAL_EVENTS=SIGNAL_EVENTS, SIGNALS=SIGNALS,
        MISSING=object(),  # "no value" (an attribute that was not there, an empty closure cell)
    )


def new_state() -> dict[str, Any]:
    """What the guard keeps between events (one dict, shared by the factories' functions)."""
    return {
        "modules": {},  # name -> (module, {attr: obj})
        "types": {},  # id(cls) -> (cls, label, {attr: obj})
        # id(fn) -> (fn, label, __code__, __defaults__, __kwdefaults__, its items, closure cells, their contents)
        "functions": {},
        "bindings": {},  # user_ns name -> obj, bound by the instructor's locked cells
        "carry": {},  # names bound by hidden tests, for later tests only
        "pending": [],  # events since the last answer
        "during": [],  # critical events while a test ran
        "untrusted": [],  # reasons why no later test can be trusted
        "used": set(),  # nonces already seen
        "threads": set(),  # ids of the notebook's threads already reported
        "seen_modules": set(),  # module names already looked at
        "in_test": False,  # a test cell is running
        "busy": False,  # the guard itself is snapshotting or restoring: the hook stays out
    }


def build(t: types.SimpleNamespace, shell: Any, key: bytes, fd: int) -> Any:
    """Record the pristine state and wire the factories together; returns the audit hook."""
    state = new_state()
    torch = t.modules.get("torch")
    origin = make_origin(t)
    snapshots = make_snapshots(t, state, origin, shell)
    pristine = capture_pristine(t, shell, torch)
    snapshots.all()
    state["seen_modules"] = set(t.modules)
    sign = channel(key)[0]  # the protocol's tools, captured now
    note, answer = make_reporter(t, state, sign, fd)
    restore_objects = make_object_restorer(t, state, origin, snapshots.is_code_attr)
    runtime = make_runtime_restorer(t, state, origin, pristine, shell, torch, note)
    restore = make_restore(state, restore_objects, runtime.restore)
    stored_names, hidden_names = make_name_parsers(t)
    handlers = make_payload_handlers(
        t, state, restore=restore, after_locked=make_after_locked(snapshots.protected_modules, runtime.rebase),
        run_source=make_runner(t), hidden_names=hidden_names, answer=answer, user_ns=make_user_ns(t, shell),
        displayhook=t.sys.displayhook,
    )
    handle_payload = make_request_handler(t, state, request_reader(key), handlers, note)
    return make_hook(t, state, make_event_table(t, state, origin, note), handle_payload)


# --- whose code is this ------------------------------------------------------------------------

def make_origin(t: types.SimpleNamespace) -> types.SimpleNamespace:
    """``file(name)``, ``obj(x)``: from the notebook's own cells? ``on_stack(frame)``: is the
    notebook's code among the callers (up to a test's or a locked cell's frame)?
    ``asked(frame, is_library)``: is the notebook the caller of the library whose frames
    ``is_library`` recognises by file name?"""
    getattr, isinstance, type, vars = t.getattr, t.isinstance, t.type, t.vars
    cell_dir, test_prefix, locked_prefix = t.cell_dir, t.TEST_FILE_PREFIX, t.LOCKED_FILE_PREFIX

    def is_student_file(filename: str) -> bool:
        if filename.startswith(cell_dir) or filename.startswith("<ipython-input-"):
            return True
        if filename.startswith("<"):
            return not (filename.startswith(test_prefix) or filename.startswith(locked_prefix)
                        or filename.startswith("<frozen"))
        return False

    def is_student_obj(obj: Any) -> bool:
        """A function, method, class or instance that comes from the notebook's own cells."""
        fn = getattr(obj, "__func__", obj)
        code = getattr(fn, "__code__", None)
        if code is not None:
            return is_student_file(code.co_filename)
        cls = obj if isinstance(obj, type) else type(obj)
        if getattr(cls, "__module__", "") == "__main__":
            for v in vars(cls).values():
                c = getattr(getattr(v, "__func__", v), "__code__", None)
                if c is not None and is_student_file(c.co_filename):
                    return True
        return False

    def student_on_stack(frame: Any) -> bool:
        depth = 0
        while frame is not None and depth < 400:
            filename = frame.f_code.co_filename
            if is_student_file(filename):
                return True
            if filename.startswith(test_prefix) or filename.startswith(locked_prefix):
                return False
            frame = frame.f_back
            depth += 1
        return False

    def asked_by_student(frame: Any, is_library: Any) -> bool:
        """Whether the code that called into a library (past the library's own frames) is the notebook's."""
        depth = 0
        while frame is not None and is_library(frame.f_code.co_filename) and depth < 20:
            frame = frame.f_back
            depth += 1
        return frame is not None and is_student_file(frame.f_code.co_filename)

    return t.SimpleNamespace(file=is_student_file, obj=is_student_obj, on_stack=student_on_stack,
                             asked=asked_by_student)


# --- the pristine state --------------------------------------------------------------------------

def make_snapshots(t: types.SimpleNamespace, state: dict, origin: types.SimpleNamespace, shell: Any) -> types.SimpleNamespace:
    """Record protected objects into ``state``: ``module(name)``, ``function(fn, label)``,
    ``type(cls, label)``, ``protected_modules()`` (those imported by now) and ``all()``
    (everything, at install); ``is_code_attr(v)``: does a class attribute hold behaviour?"""
    callable, dict, getattr, hasattr, id, isinstance = t.callable, t.dict, t.getattr, t.hasattr, t.id, t.isinstance
    len, list, tuple, type, vars, zip = t.len, t.list, t.tuple, t.type, t.vars, t.zip
    FunctionType, ModuleType, MISSING, modules = t.FunctionType, t.ModuleType, t.MISSING, t.modules
    AttributeError, TypeError, ValueError = t.AttributeError, t.TypeError, t.ValueError
    type_setattr, type_delattr = t.type_setattr, t.type_delattr
    protected, fully, type_modules = t.PROTECTED_MODULES, t.FULLY_PROTECTED, t.TYPE_MODULES
    kernel_builtins, private_builtins, max_functions = t.KERNEL_BUILTINS, t.PRIVATE_BUILTINS, t.MAX_FUNCTIONS
    plain_data = (t.str, t.bytes, t.int, t.float, t.dict, t.list, t.tuple)
    course_dir, is_student_obj = t.course_dir, origin.obj

    def public_callables(mod: Any) -> dict:
        out = {}
        full = mod.__name__ in fully
        for k, v in list(vars(mod).items()):
            if full or (not k.startswith("_") and (callable(v) or isinstance(v, ModuleType))):
                out[k] = v
            elif mod.__name__ == "builtins" and k in private_builtins:
                out[k] = v
        if mod.__name__ == "builtins":
            for k in kernel_builtins:
                out.pop(k, None)
        return out

    def snapshot_module(name: str) -> None:
        mod = modules.get(name)
        if mod is None or name in state["modules"]:
            return
        snap = public_callables(mod)
        state["modules"][name] = (mod, snap)
        for k, v in list(snap.items()):
            if type(v) is FunctionType:
                snapshot_function(v, f"{name}.{k}")
        if name in type_modules:
            for k, v in list(vars(mod).items()):
                if isinstance(v, type) and not k.startswith("_"):
                    snapshot_type(v, f"{name}.{k}")

    def snapshot_function(fn: Any, label: str) -> None:
        """Record what a protected function runs with: its code, its defaults and, for the course's
        own functions (whose tools live in closures), every captured value, transitively."""
        if id(fn) in state["functions"] or len(state["functions"]) >= max_functions or is_student_obj(fn):
            return
        kw = fn.__kwdefaults__
        ours = course_dir is not None and fn.__code__.co_filename.startswith(course_dir)
        cells = fn.__closure__ if ours else None
        contents = None
        if cells:
            contents = []
            for cell in cells:
                try:
                    contents.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    contents.append(MISSING)
            contents = tuple(contents)
        state["functions"][id(fn)] = (fn, label, fn.__code__, fn.__defaults__, kw,
                                      None if kw is None else dict(kw), cells, contents)
        for var, value in zip(fn.__code__.co_freevars, contents or ()):
            if type(value) is FunctionType:
                snapshot_function(value, f"{label} (its captured {var})")
            elif isinstance(value, type) and getattr(value, "__module__", "").startswith("course"):
                snapshot_type(value, f"{label} (its captured class {var})")

    def snapshot_type(cls: Any, label: str) -> None:
        if id(cls) in state["types"]:
            return
        try:
            type_setattr(cls, "__course_guard_probe__", None)
            type_delattr(cls, "__course_guard_probe__")
        except (TypeError, AttributeError):
            return  # immutable (C) type: nothing to protect
        state["types"][id(cls)] = (cls, label, {k: v for k, v in vars(cls).items() if is_code_attr(v)})
        for k, v in list(vars(cls).items()):
            fn = getattr(v, "__func__", v)  # methods, staticmethods, classmethods
            if type(fn) is FunctionType:
                snapshot_function(fn, f"{label}.{k}")

    def is_code_attr(v: Any) -> bool:
        return callable(v) or hasattr(v, "__get__") and not isinstance(v, plain_data)

    def snapshot_protected_modules() -> None:
        for name in protected:
            snapshot_module(name)

    def snapshot_all() -> None:
        state["busy"] = True
        try:
            snapshot_protected_modules()
            if shell is not None:
                for cls in type(shell).__mro__[:-1]:
                    snapshot_type(cls, f"IPython {cls.__name__}")
                kernel = getattr(shell, "kernel", None)
                if kernel is not None:
                    for cls in type(kernel).__mro__[:-1]:
                        snapshot_type(cls, f"ipykernel {cls.__name__}")
            torch = modules.get("torch")
            if torch is not None:
                snapshot_type(torch.Tensor, "torch.Tensor")
                snapshot_type(torch.nn.Parameter, "torch.nn.Parameter")
                snapshot_type(torch.nn.Module, "torch.nn.Module")
        finally:
            state["busy"] = False

    return t.SimpleNamespace(module=snapshot_module, function=snapshot_function, type=snapshot_type,
                             protected_modules=snapshot_protected_modules, all=snapshot_all, is_code_attr=is_code_attr)


def capture_pristine(t: types.SimpleNamespace, shell: Any, torch: Any) -> dict:
    """The process-wide settings a notebook may change: ``sys`` hooks, import hooks, warning
    filters, signal handlers, threads, IPython's lists and callbacks, torch's defaults."""
    sys, getattr, list, set, id, vars = t.sys, t.getattr, t.list, t.set, t.id, t.vars
    pristine = {
        "displayhook": sys.displayhook, "breakpointhook": sys.breakpointhook, "stdout": sys.stdout, "stderr": sys.stderr,
        "meta_path": list(sys.meta_path), "path_hooks": list(sys.path_hooks), "path": list(sys.path),
        "warnings": list(t.warnings.filters), "gc_callbacks": list(t.gc.callbacks),
        "signals": {}, "threads": set(id(th) for th in t.enumerate_threads()),
    }
    for signame in t.SIGNALS:
        sig = getattr(t.signal, signame, None)
        if sig is not None:
            try:
                pristine["signals"][sig] = t.getsignal(sig)
            except (t.ValueError, t.OSError):
                pass
    if shell is not None:
        pristine["ip_lists"] = {
            "input_transformers_cleanup": list(shell.input_transformers_cleanup),
            "input_transformers_post": list(shell.input_transformers_post),
            "ast_transformers": list(shell.ast_transformers),
        }
        pristine["ip_instance"] = set(vars(shell))
    if torch is not None:
        pristine["dtype"] = torch.get_default_dtype()
        pristine["grad"] = torch.is_grad_enabled()
        pristine["device"] = getattr(torch, "get_default_device", lambda: None)()
        pristine["impls"] = frozenset(getattr(getattr(torch, "library", None), "_impls", ()) or ())
    return pristine


# --- reporting -----------------------------------------------------------------------------------

def make_reporter(t: types.SimpleNamespace, state: dict, sign: Any, fd: int) -> tuple[Any, Any]:
    """``note(kind, detail, critical)``: record an event for the next answer (a critical one
    during a test makes the test not count). ``answer(nonce, payload)``: send the grader one
    signed JSON line with the events noted since the last answer."""
    len, dict, str, memoryview, write, dumps, OSError = t.len, t.dict, t.str, t.memoryview, t.write, t.dumps, t.OSError

    def note(kind: str, detail: str, critical: bool = False) -> None:
        item = ("!" if critical else "") + f"{kind}: {detail}"[:300]
        bucket = state["pending"]
        if item not in bucket and len(bucket) < 200:
            bucket.append(item)
        if critical and state["in_test"] and item[1:] not in state["during"]:
            state["during"].append(item[1:])

    def answer(nonce: str, payload: dict) -> None:
        payload = dict(payload, n=nonce, events=state["pending"][:200])
        state["pending"] = []
        body = dumps(payload, default=str)
        line = (sign(body) + " " + body + "\n").encode()
        try:
            view = memoryview(line)
            while view:
                n = write(fd, view)
                view = view[n:]
        except OSError:
            pass

    return note, answer


# --- check and restore ---------------------------------------------------------------------------

def make_object_restorer(t: types.SimpleNamespace, state: dict, origin: types.SimpleNamespace, is_code_attr: Any) -> Any:
    """``restore_objects(found)``: put back the protected modules' names, the protected
    classes' attributes and the protected functions' code, defaults, keyword defaults and
    closure cells, as recorded by the snapshots; describe in ``found`` what had changed."""
    any, getattr, len, list, range, vars, zip = t.any, t.getattr, t.len, t.list, t.range, t.vars, t.zip
    AttributeError, TypeError, ValueError = t.AttributeError, t.TypeError, t.ValueError
    type_setattr, type_delattr, modules, MISSING = t.type_setattr, t.type_delattr, t.modules, t.MISSING
    is_student_obj = origin.obj

    def decorates(new: Any, old: Any) -> bool:
        """``new`` is a library's wrapper around ``old`` (torch wraps some functions lazily)."""
        if is_student_obj(new):
            return False
        for _ in range(6):
            new = getattr(new, "__wrapped__", None)
            if new is None:
                return False
            if new is old:
                return True
        return False

    def restore_modules(found: list) -> None:
        for name, (mod, snap) in list(state["modules"].items()):
            if modules.get(name) is not mod:
                found.append(f"replaced the module {name} in sys.modules")
                modules[name] = mod
            d = vars(mod)
            for k, v in list(snap.items()):
                cur = d.get(k, MISSING)
                if cur is not v:
                    if cur is not MISSING and decorates(cur, v):
                        snap[k] = cur
                        continue
                    found.append(f"changed {name}.{k}")
                    d[k] = v

    def restore_types(found: list) -> None:
        for cls, label, snap in list(state["types"].values()):
            d = vars(cls)
            for k, v in list(snap.items()):
                cur = d.get(k, MISSING)
                if cur is not v:
                    if cur is not MISSING and decorates(cur, v):
                        snap[k] = cur
                        continue
                    found.append(f"changed {label}.{k}")
                    try:
                        type_setattr(cls, k, v)
                    except (TypeError, AttributeError):
                        pass
            for k in list(d):
                if k not in snap and is_code_attr(d[k]):
                    found.append(f"added {label}.{k}")
                    try:
                        type_delattr(cls, k)
                    except (TypeError, AttributeError):
                        pass

    def restore_functions(found: list) -> None:
        for fn, label, code, defaults, kw, kw_items, cells, contents in list(state["functions"].values()):
            if fn.__code__ is not code:
                found.append(f"rewrote {label}.__code__")
                try:
                    fn.__code__ = code
                except (TypeError, ValueError):
                    pass
            if fn.__defaults__ is not defaults:
                found.append(f"rewrote {label}.__defaults__")
                fn.__defaults__ = defaults
            if fn.__kwdefaults__ is not kw or (kw is not None and (len(kw) != len(kw_items) or any(
                    kw.get(k, MISSING) is not v for k, v in kw_items.items()))):
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

    def restore_objects(found: list) -> None:
        restore_modules(found)
        restore_types(found)
        restore_functions(found)

    return restore_objects


def make_runtime_restorer(t: types.SimpleNamespace, state: dict, origin: types.SimpleNamespace, pristine: dict,
                          shell: Any, torch: Any, note: Any) -> types.SimpleNamespace:
    """``restore(found)``: put back ``sys`` hooks, import hooks, trace functions, warning
    filters, garbage-collector callbacks, signal handlers and timers, IPython's transformers,
    callbacks and methods, torch's modes and defaults; mark tests untrusted after a
    background thread of the notebook's or a torch.library override; note imports from the
    working folder. ``rebase()``: accept what a locked cell set up (warning filters, torch's
    default dtype and grad mode); call it before ``restore``, which would undo them."""
    all, any, getattr, id, len, list, set, setattr, sorted, type, vars, zip = (
        t.all, t.any, t.getattr, t.id, t.len, t.list, t.set, t.setattr, t.sorted, t.type, t.vars, t.zip)
    callable, frozenset, Exception = t.callable, t.frozenset, t.Exception
    OSError, TypeError, ValueError = t.OSError, t.TypeError, t.ValueError
    sys, modules, warnings, gc, threading, roots = t.sys, t.modules, t.warnings, t.gc, t.threading, t.roots
    gettrace, settrace, getprofile, setprofile = t.gettrace, t.settrace, t.getprofile, t.setprofile
    threading_settrace, threading_setprofile, filters_mutated = t.threading_settrace, t.threading_setprofile, t.filters_mutated
    current_thread, main_thread, enumerate_threads = t.current_thread, t.main_thread, t.enumerate_threads
    getsignal, set_signal, getitimer, setitimer, timers = t.getsignal, t.set_signal, t.getitimer, t.setitimer, t.timers
    is_student_obj = origin.obj
    if torch is not None:
        C = torch._C
        torch_modes = [(getattr(C, "_len_torch_function_stack", None), getattr(C, "_pop_torch_function_stack", None),
                        "left a torch function mode active (TorchFunctionMode)"),
                       (getattr(C, "_len_torch_dispatch_stack", None), getattr(C, "_pop_torch_dispatch_stack", None),
                        "left a torch dispatch mode active (TorchDispatchMode)")]
        get_dtype, set_dtype = torch.get_default_dtype, torch.set_default_dtype
        grad_enabled, set_grad = torch.is_grad_enabled, torch.set_grad_enabled
        get_device, set_device = getattr(torch, "get_default_device", None), getattr(torch, "set_default_device", None)
        torch_library = getattr(torch, "library", None)

    def restore_sys(found: list) -> None:
        for attr in ("displayhook", "breakpointhook", "stdout", "stderr"):
            if getattr(sys, attr) is not pristine[attr]:
                found.append(f"replaced sys.{attr}")
                setattr(sys, attr, pristine[attr])
        for attr in ("meta_path", "path_hooks"):
            cur, old = getattr(sys, attr), pristine[attr]
            if len(cur) != len(old) or any(a is not b for a, b in zip(cur, old)):
                theirs = [x for x in cur if is_student_obj(x)]
                if theirs or any(all(x is not y for y in cur) for x in old):
                    found.append(f"changed sys.{attr} (import hooks)")
                    cur[:] = list(old) + [x for x in cur if not is_student_obj(x) and all(x is not y for y in old)]
                pristine[attr] = list(cur)
        if sys.path != pristine["path"]:
            sys.path[:] = pristine["path"]
        if gettrace() is not None:
            found.append("left a trace function (sys.settrace)")
            settrace(None)
        if getprofile() is not None:
            found.append("left a profile function (sys.setprofile)")
            setprofile(None)
        if getattr(threading, "_trace_hook", None) is not None or getattr(threading, "_profile_hook", None) is not None:
            found.append("left a thread trace/profile hook")
            threading_settrace(None)
            threading_setprofile(None)
        if warnings.filters != pristine["warnings"]:
            warnings.filters[:] = pristine["warnings"]
            filters_mutated()
        if gc.callbacks != pristine["gc_callbacks"]:
            found.append("added garbage-collector callbacks")
            gc.callbacks[:] = pristine["gc_callbacks"]

    def restore_signals(found: list) -> None:
        if current_thread() is not main_thread:
            return
        for sig, handler in pristine["signals"].items():
            try:
                if getsignal(sig) is not handler:
                    found.append(f"changed the handler of signal {sig}")
                    set_signal(sig, handler)
            except (ValueError, OSError, TypeError):
                pass
        for which in timers:
            if getitimer(which) != (0.0, 0.0):
                found.append("left a timer running (signal.setitimer/alarm)")
                setitimer(which, 0)

    def restore_ipython(found: list) -> None:
        for attr, old in pristine["ip_lists"].items():
            cur = getattr(shell, attr)
            theirs = [x for x in cur if is_student_obj(x)]
            if theirs or any(all(x is not y for y in cur) for x in old):
                found.append(f"changed IPython's {attr}")
                cur[:] = [x for x in cur if not is_student_obj(x)]
                for x in old:
                    if all(x is not y for y in cur):
                        cur.append(x)
        for ev, cur in shell.events.callbacks.items():
            if any(is_student_obj(x) for x in cur):
                found.append(f"registered an IPython '{ev}' callback")
                cur[:] = [x for x in cur if not is_student_obj(x)]
        for k in list(vars(shell)):
            if k not in pristine["ip_instance"] and callable(vars(shell)[k]):
                found.append(f"replaced IPython's {k}")
                del vars(shell)[k]

    def restore_torch(found: list) -> None:
        try:
            for length, pop, what in torch_modes:
                while length() > 0:
                    found.append(what)
                    pop()
        except Exception:  # noqa: BLE001 - an older torch without these stacks
            pass
        if get_dtype() is not pristine["dtype"]:
            set_dtype(pristine["dtype"])
        if grad_enabled() != pristine["grad"]:
            set_grad(pristine["grad"])
        if pristine["device"] is not None and get_device() != pristine["device"]:
            set_device(pristine["device"])
        impls = frozenset(getattr(torch_library, "_impls", ()) or ())
        new_impls = [i for i in impls - pristine["impls"] if i.startswith("aten/") and not i.endswith(("/Meta", "/FakeTensor"))]
        if new_impls:
            distrust("overrode PyTorch operators with torch.library: " + ", ".join(sorted(new_impls))[:200])

    def distrust(why: str) -> None:
        if why not in state["untrusted"]:
            state["untrusted"].append(why)

    def watch_threads() -> None:
        for th in enumerate_threads():
            if id(th) in pristine["threads"] or id(th) in state["threads"]:
                continue
            target = getattr(th, "_target", None)
            if (is_student_obj(target) if target is not None else is_student_obj(type(th).run)) and th.is_alive():
                state["threads"].add(id(th))
                distrust(f"started a background thread ({th.name}) that keeps running the notebook's code")

    def watch_imports() -> None:
        new = set(modules) - state["seen_modules"]
        for name in sorted(new):
            path = getattr(modules.get(name), "__file__", None) or ""
            if path and not any(path.startswith(r) for r in roots):
                note("imported code from the working folder", f"{name} ({path})")
        state["seen_modules"] |= new

    def restore_runtime(found: list) -> None:
        restore_sys(found)
        restore_signals(found)
        if shell is not None:
            restore_ipython(found)
        if torch is not None:
            restore_torch(found)
        watch_threads()
        watch_imports()

    def rebase() -> None:
        pristine["warnings"] = list(warnings.filters)
        if torch is not None:
            pristine["dtype"] = get_dtype()
            pristine["grad"] = grad_enabled()

    return t.SimpleNamespace(restore=restore_runtime, rebase=rebase)


def make_restore(state: dict, restore_objects: Any, restore_runtime: Any) -> Any:
    """``restore(found)``: everything back, with the hook kept out while the guard works."""

    def restore(found: list) -> None:
        state["busy"] = True
        try:
            restore_objects(found)
            restore_runtime(found)
        finally:
            state["busy"] = False

    return restore


def make_after_locked(snapshot_protected_modules: Any, rebase: Any) -> Any:
    """After a locked cell: protect the modules it imported, accept the settings it made."""

    def after_locked() -> None:
        snapshot_protected_modules()
        rebase()

    return after_locked


# --- running the instructor's cells ----------------------------------------------------------------

def make_user_ns(t: types.SimpleNamespace, shell: Any) -> Any:
    """``user_ns()``: the notebook's namespace."""
    modules = t.modules

    def user_ns() -> dict:
        return shell.user_ns if shell is not None else modules["__main__"].__dict__

    return user_ns


def make_runner(t: types.SimpleNamespace) -> Any:
    """``run_source(source, filename, ns)``: compile (magics turned into calls), run in ``ns``,
    return the last expression's value. A locked cell's source goes into linecache (for
    tracebacks), a test's never does (its hidden part would be readable there)."""
    isinstance, len, compile, exec, eval, Exception = t.isinstance, t.len, t.compile, t.exec, t.eval, t.Exception
    parse, Expr, Expression = t.ast.parse, t.ast.Expr, t.ast.Expression
    transform, cache, test_prefix = t.transform, t.linecache, t.TEST_FILE_PREFIX

    def run_source(source: str, filename: str, ns: dict) -> Any:
        __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
        if transform is not None:
            try:
                source = transform(source)
            except Exception:  # noqa: BLE001 - let compile report the syntax error
                pass
        if not filename.startswith(test_prefix):
            cache[filename] = (len(source), None, source.splitlines(True), filename)
        tree = parse(source, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], Expr):
            last = Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), ns)
        if last is not None:
            return eval(compile(last, filename, "eval"), ns)
        return None

    return run_source


def make_name_parsers(t: types.SimpleNamespace) -> tuple[Any, Any]:
    """``stored_names(source)``: the names a cell binds (assignments, definitions, imports).
    ``hidden_names(source)``: those that only the hidden part of a test binds (the learner
    never saw that code)."""
    isinstance, set, SyntaxError = t.isinstance, t.set, t.SyntaxError
    parse, walk, Name, Store, alias, definitions = t.ast.parse, t.ast.walk, t.ast.Name, t.ast.Store, t.ast.alias, t.ast.definitions
    hidden_begin, visible_part = t.HIDDEN_BEGIN, t.visible_part

    def stored_names(source: str) -> set:
        try:
            tree = parse(source)
        except SyntaxError:
            return set()
        out = set()
        for node in walk(tree):
            if isinstance(node, Name) and isinstance(node.ctx, Store):
                out.add(node.id)
            elif isinstance(node, definitions):
                out.add(node.name)
            elif isinstance(node, alias):
                out.add((node.asname or node.name).split(".")[0])
        return out

    def hidden_names(source: str) -> set:
        if hidden_begin not in source:
            return set()
        shown = "\n".join(visible_part(source))
        try:
            parse(shown)
        except SyntaxError:
            return set()
        return stored_names(source) - stored_names(shown)

    return stored_names, hidden_names


def make_payload_handlers(t: types.SimpleNamespace, state: dict, *, restore: Any, after_locked: Any, run_source: Any,
                          hidden_names: Any, answer: Any, user_ns: Any, displayhook: Any) -> dict[str, Any]:
    """The grader's three requests, each ``handler(nonce, name, source)``: ``locked`` runs an
    instructor's locked cell in the notebook's namespace and remembers what it binds;
    ``test`` runs a test cell in a namespace of its own, with the locked cells' bindings;
    ``check`` (at the end) only restores and reports."""
    callable, dict, isinstance, list, sorted, type = t.callable, t.dict, t.isinstance, t.list, t.sorted, t.type
    BaseException, ModuleType, MISSING = t.BaseException, t.ModuleType, t.MISSING
    ipython_names, test_prefix, locked_prefix = t.IPYTHON_NAMES, t.TEST_FILE_PREFIX, t.LOCKED_FILE_PREFIX

    class GuardViolation(t.Exception):
        """The grader found something during this test that makes its result untrustworthy."""

    GuardViolation.__module__ = "grader"

    def do_locked(nonce: str, name: str, source: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        found: list = []
        restore(found)
        ns = user_ns()
        before = dict(ns)
        err = None
        value = None
        try:
            value = run_source(source, f"{locked_prefix}{name}>", ns)
        except BaseException as e:  # noqa: BLE001 - re-raised below, after answering
            err = e
        for k, v in ns.items():
            if k in ipython_names or k.startswith("_i"):
                continue
            if before.get(k, MISSING) is not v:
                state["bindings"][k] = v
        # First accept what the cell set up (its imports, warning filters, torch's defaults), then
        # restore: a locked cell that runs the notebook's code may meet tampering too.
        after_locked()
        after: list = []
        restore(after)
        answer(nonce, {"action": "locked", "restored": found + after, "ok": err is None})
        if err is not None:
            raise err
        if value is not None:
            displayhook(value)

    def do_test(nonce: str, name: str, source: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        found: list = []
        restore(found)
        ns_user = user_ns()
        ns = {**state["carry"], **ns_user}
        rebound = []
        for k, v in state["bindings"].items():
            if ns.get(k, MISSING) is not v:
                if callable(v) or isinstance(v, ModuleType):
                    rebound.append(k)
                ns[k] = v
        if rebound:
            found.append("redefined " + ", ".join(sorted(rebound)) + " (the test used the original)")
        before = dict(ns)
        state["during"] = []
        state["in_test"] = True
        err = None
        value = None
        try:
            value = run_source(source, f"{test_prefix}{name}>", ns)
        except BaseException as e:  # noqa: BLE001 - re-raised below, after answering
            err = e
        finally:
            state["in_test"] = False
        during: list = list(state["during"])
        after: list = []
        restore(after)
        hidden_only = hidden_names(source)
        for k, v in ns.items():
            if before.get(k, MISSING) is not v:
                if k in hidden_only:
                    state["carry"][k] = v  # later tests may use it; the learner's namespace never sees it
                else:
                    ns_user[k] = v
        violations = during + [f"during the test the notebook's code {a}" for a in after] + list(state["untrusted"])
        answer(nonce, {"action": "test", "restored": found, "violations": violations,
                       "ok": err is None and not violations,
                       "error": None if err is None else f"{type(err).__name__}: {err}"[:300]})
        if violations:
            msg = ("The grader does not count this test: " + "; ".join(violations[:3])
                   + ". A solution may not change PyTorch or the course's helpers, nor look into the tests.")
            raise GuardViolation(msg) from None
        if err is not None:
            raise err
        if value is not None:
            displayhook(value)

    def do_check(nonce: str, name: str, source: str) -> None:
        found: list = []
        restore(found)
        answer(nonce, {"action": "check", "restored": found, "untrusted": list(state["untrusted"])})

    return {"locked": do_locked, "test": do_test, "check": do_check}


def make_request_handler(t: types.SimpleNamespace, state: dict, read: Any, handlers: dict, note: Any) -> Any:
    """``handle_payload(text)``: check a request's signature (``read``, from the protocol) and
    its nonce (each is used once), then run its handler; a forged or replayed request is only
    noted."""
    ValueError, ForgedRequest = t.ValueError, t.ForgedRequest

    def handle_payload(text: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        try:
            nonce, action, name, source = read(text)
        except ForgedRequest:
            note("forged a grader request", "bad signature")
            return
        except ValueError:
            return
        if nonce in state["used"]:
            note("replayed a grader request", nonce)
            return
        state["used"].add(nonce)
        handler = handlers.get(action)
        if handler is not None:
            handler(nonce, name, source)

    return handle_payload


# --- the audit hook ------------------------------------------------------------------------------

def make_event_table(t: types.SimpleNamespace, state: dict, origin: types.SimpleNamespace, note: Any) -> dict[str, Any]:
    """Audit event name -> ``handler(event, args, caller)``, where ``caller`` is the frame that
    raised the event. A handler notes what it sees and raises PermissionError to refuse;
    the ``exec`` handler returns a grader request found in the code about to run."""
    any, isinstance, len, type, getattr, id = t.any, t.isinstance, t.len, t.type, t.getattr, t.id
    str, bytes, PermissionError, CodeType, FunctionType = t.str, t.bytes, t.PermissionError, t.CodeType, t.FunctionType
    prefix, cell_dir, roots, here, sep = t.PAYLOAD_PREFIX, t.cell_dir, t.roots, t.here, t.sep
    frame_attrs, walkers, ctypes_dir, code_suffixes = t.FRAME_ATTRS, t.FRAME_WALKERS, t.CTYPES_DIR, t.CODE_SUFFIXES
    memory_events, function_attrs = t.MEMORY_EVENTS, t.FUNCTION_ATTRS
    is_student_file, student_on_stack, asked_by_student = origin.file, origin.on_stack, origin.asked

    def from_student(caller: Any) -> bool:
        return caller is not None and is_student_file(caller.f_code.co_filename)

    def by_student(caller: Any) -> bool:
        return from_student(caller) or student_on_stack(caller)

    def in_walker(filename: str) -> bool:
        return filename.endswith(walkers)

    def in_ctypes(filename: str) -> bool:
        return ctypes_dir in filename

    def refuse(what: str) -> None:
        raise PermissionError(f"{what} is not allowed while the notebook is graded (the grader refused it)")

    def on_exec(event: str, args: tuple, caller: Any) -> str | None:
        code = args[0] if args else None
        if type(code) is not CodeType:
            return None
        for c in code.co_consts:
            if type(c) is str and c.startswith(prefix):
                return c
        if from_student(caller):
            note("ran code with exec", code.co_filename)
        filename = code.co_filename
        if not (filename.startswith("<") or filename.startswith(cell_dir) or any(filename.startswith(r) for r in roots)):
            note("ran code from a file outside the course", filename)
        return None

    # f_back, f_locals and f_globals are not audited, so a frame in the learner's hands can be
    # walked up to the test's. Every way for the learner's code to get hold of a frame is
    # therefore refused: sys._getframe (directly or through inspect/traceback), a traceback's
    # or a generator's frame. Outside a test the frames in reach are the notebook's own, but a
    # traceback kept from a failed test (sys.last_traceback) leads into the test's code.
    def refuse_frames(what: str) -> None:
        if state["in_test"]:
            note("inspected the test's stack frames", what, critical=True)
            refuse("Looking at stack frames during a test")
        note("looked at stack frames", what, critical=True)
        refuse("Looking at stack frames")

    def on_getframe(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller):
            refuse_frames("sys._getframe")
        elif caller is not None and in_walker(caller.f_code.co_filename) and asked_by_student(caller, in_walker):
            refuse_frames("sys._getframe via " + caller.f_code.co_filename.rsplit(sep, 1)[-1])

    def on_object_getattr(event: str, args: tuple, caller: Any) -> None:
        if len(args) >= 2 and args[1] in frame_attrs and from_student(caller):
            refuse_frames(args[1])

    def on_current_frames(event: str, args: tuple, caller: Any) -> None:
        if student_on_stack(caller):
            note("inspected the stack frames of all threads", "sys._current_frames", critical=True)
            refuse("sys._current_frames()")

    def on_object_setattr(event: str, args: tuple, caller: Any) -> None:
        obj = args[0] if args else None
        attr = args[1] if len(args) > 1 else ""
        if isinstance(obj, type):
            if id(obj) in state["types"] and by_student(caller):
                note("patched a protected class", f"{state['types'][id(obj)][1]}.{attr}", critical=True)
        elif type(obj) is FunctionType and attr in function_attrs:
            # Only the protected functions: the library sets these on functions it has just made
            # (collections.namedtuple sets __new__.__defaults__), with the notebook on the stack.
            if id(obj) in state["functions"] and by_student(caller):
                note("rewrote a function's code", f"{getattr(obj, '__qualname__', '?')}.{attr}", critical=True)
                refuse(f"Changing {attr} of a function")

    def on_gc(event: str, args: tuple, caller: Any) -> None:
        if by_student(caller):
            note("searched the garbage collector's objects", event, critical=True)
            refuse(f"{event}()")

    def on_ctypes(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller) or (event in memory_events and asked_by_student(caller, in_ctypes)):
            note("used ctypes", event, critical=True)
            refuse("ctypes")

    def on_code_new(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller):
            note("built a code object by hand", "types.CodeType / code.replace", critical=True)
            refuse("Building code objects")

    def on_compile(event: str, args: tuple, caller: Any) -> None:
        if not by_student(caller):
            return
        source = args[0] if args else None
        filename = args[1] if len(args) > 1 else None
        if not isinstance(source, (str, bytes)):
            return
        filename = filename if isinstance(filename, str) else ""
        if filename and not filename.startswith("<"):
            note("compiled code under a borrowed file name", filename, critical=True)
            refuse("Compiling code under a real file's name")
        if from_student(caller):
            note("compiled code at run time (exec/eval/compile)", filename or "<string>", critical=True)
            if state["in_test"]:
                refuse("exec/eval/compile")

    def on_trace(event: str, args: tuple, caller: Any) -> None:
        if by_student(caller):
            note("installed a trace or profile function", event, critical=True)
            refuse(event)

    def on_audit_hook(event: str, args: tuple, caller: Any) -> None:
        note("tried to add an audit hook", "sys.addaudithook", critical=True)
        refuse("sys.addaudithook")

    def on_open(event: str, args: tuple, caller: Any) -> None:
        path = args[0] if args else None
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if not isinstance(path, str):
            return
        if path.startswith("/proc/") and path.endswith("/mem"):
            note("opened the process's memory", path, critical=True)
            refuse(f"Opening {path}")
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        if path.endswith(code_suffixes) and not any(path.startswith(r) for r in roots) and by_student(caller):
            if not path.startswith("/") or path.startswith(here):
                note("opened a code file", f"{path} ({mode})")
            else:
                note("tried to open a code file outside its folder", path, critical=True)

    def on_process(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller):
            note("started a process", event)

    def on_signal(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller):
            note("sent a signal", event)

    def on_function_new(event: str, args: tuple, caller: Any) -> None:
        if from_student(caller):
            note("built a function by hand", "types.FunctionType")

    table = {
        "exec": on_exec,
        "sys._getframe": on_getframe,
        "object.__getattr__": on_object_getattr,
        "sys._current_frames": on_current_frames,
        "object.__setattr__": on_object_setattr,
        "object.__delattr__": on_object_setattr,
        "code.__new__": on_code_new,
        "compile": on_compile,
        "sys.addaudithook": on_audit_hook,
        "open": on_open,
        "function.__new__": on_function_new,
    }
    for events, handler in ((t.GC_EVENTS, on_gc), (t.CTYPES_EVENTS, on_ctypes), (t.TRACE_EVENTS, on_trace),
                            (t.PROCESS_EVENTS, on_process), (t.SIGNAL_EVENTS, on_signal)):
        for event in events:
            table[event] = handler
    return table


def make_hook(t: types.SimpleNamespace, state: dict, table: dict, handle_payload: Any) -> Any:
    """The audit hook: looks the event up in ``table`` and runs its handler (never for the
    guard's own events, nor while the guard restores), then a grader request if one was found."""
    getattr, getframe, local = t.getattr, t.getframe, t.thread_local()

    def hook(event: str, args: tuple) -> None:
        __tracebackhide__ = True  # noqa: F841
        handler = table.get(event)
        if handler is None or getattr(local, "inside", False) or state["busy"]:
            return
        local.inside = True
        try:
            payload = handler(event, args, getframe(1))
        finally:
            local.inside = False
        if payload is not None:
            handle_payload(payload)

    return hook
