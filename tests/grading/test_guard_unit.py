"""The grading guard's pieces (course/grading/guard.py), in-process: no kernel, no nbgrader.

The audit hook is never installed here (it could not be removed again): each test builds the
factories it needs from ``guard.capture`` and calls what they return, with fake frames, a
fake IPython shell, a scratch module standing in for ``course``, and a pipe for the answers.
"""

from __future__ import annotations

import ast
import builtins
import dis
import gc
import io
import json
import linecache
import os
import signal
import sys
import threading
import types
import warnings
from typing import Any

import pytest

from course.grading import guard, protocol

CELLS = "/cells/"  # where the kernel writes the notebook's cells
ROOTS = ("/lib/",)  # the Python installation and the course
COURSE = "/fakecourse/"  # the course package's folder
HERE = "/work/"  # the working folder
STUDENT = CELLS + "1234.py"
LIBRARY = "/lib/python3/json/__init__.py"
TEST = protocol.TEST_FILE_PREFIX + "test_one>"
LOCKED = protocol.LOCKED_FILE_PREFIX + "setup>"
KEY = b"k" * 32
MODULE = "fakecourse_guard_unit"

COURSE_SOURCE = '''
def _fail(message):
    raise AssertionError(message)

def _make():
    tolerance = 1e-6
    fail = _fail
    def check_close(a, b, rtol=1e-5, *, atol=1e-8):
        if abs(a - b) > atol + rtol * abs(b) + tolerance:
            fail("far")
        return True
    return check_close

def _lazy():
    def later_value():
        return later
    if False:
        later = 1
    return later_value

class Probe:
    def measure(self):
        return 1

    def reset(self):
        pass

def fit(x, *, seed=None):
    return seed

check_close = _make()
later_value = _lazy()
limit = 3
nothing = None
'''


def replacement_code() -> types.CodeType:
    """Code that check_close could run instead (the same free variables): always passes."""
    fail = tolerance = None

    def check_close(a: Any, b: Any, rtol: Any = 1, *, atol: Any = 1) -> bool:
        return fail is tolerance

    return check_close.__code__


def frame(filename: str, back: Any = None) -> Any:
    return types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename=filename), f_back=back)


def student_function(source: str = "def f():\n    return 1\n", name: str = "f") -> Any:
    ns: dict = {}
    exec(compile(source, STUDENT, "exec"), ns)  # noqa: S102 - code "from a notebook cell"
    return ns[name]


@pytest.fixture
def t() -> types.SimpleNamespace:
    return guard.capture(cell_dir=CELLS, roots=ROOTS, course_dir=COURSE, here=HERE)


@pytest.fixture
def pipe() -> Any:
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)


def read_answers(r: int) -> list[dict]:
    os.set_blocking(r, False)
    try:
        data = os.read(r, 1 << 20)
    except BlockingIOError:
        return []
    sign = protocol.channel(KEY)[0]
    out = []
    for line in data.decode().splitlines():
        mac, body = line.split(" ", 1)
        assert mac == sign(body), "every answer is signed with the key"
        out.append(json.loads(body))
    return out


class Guard:
    """The factories wired as ``guard.build`` wires them, around a scratch module."""

    def __init__(self, t: types.SimpleNamespace, fd: int, shell: Any = None, protect: bool = True) -> None:
        self.module = types.ModuleType(MODULE)
        exec(compile(COURSE_SOURCE, COURSE + "checks.py", "exec"), self.module.__dict__)  # noqa: S102
        sys.modules[MODULE] = self.module
        t.PROTECTED_MODULES = t.FULLY_PROTECTED = t.TYPE_MODULES = (MODULE,)
        self.t, self.state, self.shell = t, guard.new_state(), shell
        self.origin = guard.make_origin(t)
        self.snapshots = guard.make_snapshots(t, self.state, self.origin, shell)
        self.pristine = guard.capture_pristine(t, shell, None)
        if protect:
            self.snapshots.protected_modules()
        self.state["seen_modules"] = set(sys.modules)
        self.note, self.answer = guard.make_reporter(t, self.state, protocol.channel(KEY)[0], fd)
        self.restore_objects = guard.make_object_restorer(t, self.state, self.origin, self.snapshots.is_code_attr)
        self.runtime = guard.make_runtime_restorer(t, self.state, self.origin, self.pristine, shell, None, self.note)
        self.table = guard.make_event_table(t, self.state, self.origin, self.note)

    def close(self) -> None:
        sys.modules.pop(MODULE, None)

    def fire(self, event: str, *args: Any, caller: Any = None) -> Any:
        return self.table[event](event, args, caller)

    def pending(self) -> list[str]:
        return list(self.state["pending"])


@pytest.fixture
def g(t: types.SimpleNamespace, pipe: Any) -> Any:
    built = Guard(t, pipe[1])
    yield built
    built.close()


# --- the event table ------------------------------------------------------------------------------

WATCHED = {
    "sys._getframe", "sys._current_frames", "object.__getattr__", "object.__setattr__", "object.__delattr__",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "code.__new__", "compile", "exec",
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "open", "os.system", "subprocess.Popen",
    "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg", "ctypes.dlopen",
    "ctypes.dlsym", "ctypes.addressof", "ctypes.cdata", "ctypes.cdata/buffer", "ctypes.string_at",
    "ctypes.wstring_at", "ctypes.call_function", "ctypes.create_string_buffer", "ctypes.PyObj_FromPtr",
    "function.__new__", "sys.setswitchinterval", "signal.pthread_kill", "sys.monitoring.register_callback",
}


def test_the_table_watches_the_events_the_guard_judges(g: Guard) -> None:
    # sys.setswitchinterval was watched and never judged: it has no handler now.
    assert set(g.table) == WATCHED - {"sys.setswitchinterval"}


def test_a_grader_request_in_code_about_to_run_is_handed_back(g: Guard) -> None:
    code = compile(protocol.request(KEY, "n1", "test", "t", "x = 1"), "<ipython-input-1>", "exec")
    payload = g.fire("exec", code, caller=frame(STUDENT))
    assert payload.startswith(protocol.PAYLOAD_PREFIX)
    assert g.pending() == [], "running the grader's own request is not an event"


def test_exec_of_the_notebooks_code_and_of_code_from_outside_is_noted(g: Guard) -> None:
    assert g.fire("exec", compile("x = 1", "<string>", "exec"), caller=frame(STUDENT)) is None
    assert g.pending() == ["ran code with exec: <string>"]
    g.fire("exec", compile("x = 1", "/elsewhere/solution.py", "exec"), caller=frame(LIBRARY))
    assert g.pending()[-1] == "ran code from a file outside the course: /elsewhere/solution.py"
    for trusted in (CELLS + "9.py", "/lib/python3/x.py", "<frozen os>"):
        g.fire("exec", compile("x = 1", trusted, "exec"), caller=frame(LIBRARY))
    g.fire("exec", "not code", caller=frame(STUDENT))
    assert len(g.pending()) == 2


def test_stack_frames_are_refused_to_the_notebook_and_to_walkers_it_calls(g: Guard) -> None:
    with pytest.raises(PermissionError, match="Looking at stack frames"):
        g.fire("sys._getframe", 1, caller=frame(STUDENT))
    assert g.pending() == ["!looked at stack frames: sys._getframe"]
    g.state["in_test"] = True
    walker = frame("/lib/python3/inspect.py", back=frame("/lib/python3/inspect.py", back=frame(STUDENT)))
    with pytest.raises(PermissionError, match="during a test"):
        g.fire("sys._getframe", 1, caller=walker)
    assert g.state["during"] == ["inspected the test's stack frames: sys._getframe via inspect.py"]
    # A library's own use, and a walker called by a library or a test, are not the notebook's.
    g.fire("sys._getframe", 1, caller=frame(LIBRARY, back=frame(STUDENT)))
    g.fire("sys._getframe", 1, caller=frame("/lib/python3/traceback.py", back=frame(TEST)))
    g.fire("sys._getframe", 1, caller=None)
    assert len(g.pending()) == 2


def test_frame_attributes_are_refused_to_the_notebook_only(g: Guard) -> None:
    tb = object()
    for attr in ("tb_frame", "gi_frame", "cr_frame", "ag_frame"):
        with pytest.raises(PermissionError):
            g.fire("object.__getattr__", tb, attr, caller=frame(STUDENT))
    g.fire("object.__getattr__", tb, "tb_lineno", caller=frame(STUDENT))
    g.fire("object.__getattr__", tb, "tb_frame", caller=frame(LIBRARY))
    g.fire("object.__getattr__", tb, caller=frame(STUDENT))
    assert g.pending() == [f"!looked at stack frames: {a}" for a in ("tb_frame", "gi_frame", "cr_frame", "ag_frame")]


def test_all_threads_frames_are_refused_with_the_notebook_on_the_stack(g: Guard) -> None:
    with pytest.raises(PermissionError, match="_current_frames"):
        g.fire("sys._current_frames", caller=frame(LIBRARY, back=frame(STUDENT)))
    # The search stops at a test's (or a locked cell's) frame: what called the test is not asked.
    g.fire("sys._current_frames", caller=frame(LIBRARY, back=frame(TEST, back=frame(STUDENT))))
    g.fire("sys._current_frames", caller=frame(LIBRARY, back=frame(LOCKED, back=frame(STUDENT))))
    assert g.pending() == ["!inspected the stack frames of all threads: sys._current_frames"]


@pytest.mark.parametrize("attr", ["__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__"])
def test_rewriting_a_protected_function_is_refused(g: Guard, attr: str) -> None:
    fn = g.module.check_close
    with pytest.raises(PermissionError, match=f"Changing {attr}"):
        g.fire("object.__setattr__", fn, attr, None, caller=frame(STUDENT))
    with pytest.raises(PermissionError):
        g.fire("object.__delattr__", fn, attr, caller=frame(LIBRARY, back=frame(STUDENT)))
    assert g.pending() == [f"!rewrote a function's code: _make.<locals>.check_close.{attr}"]


def test_other_function_writes_are_allowed(g: Guard) -> None:
    fn = g.module.check_close
    g.fire("object.__setattr__", fn, "__doc__", "x", caller=frame(STUDENT))
    g.fire("object.__setattr__", student_function(), "__defaults__", (), caller=frame(STUDENT))
    # collections.namedtuple sets __defaults__ on a function it has just made, for the notebook.
    g.fire("object.__setattr__", fn, "__defaults__", (), caller=frame(LIBRARY, back=frame(TEST)))
    assert g.pending() == []


def test_patching_a_protected_class_is_noted_not_refused(g: Guard) -> None:
    g.fire("object.__setattr__", g.module.Probe, "measure", None, caller=frame(STUDENT))
    g.fire("object.__setattr__", type("Mine", (), {}), "x", 1, caller=frame(STUDENT))
    g.fire("object.__setattr__", g.module.Probe, "measure", None, caller=frame(LIBRARY))
    assert g.pending() == [f"!patched a protected class: {MODULE}.Probe.measure"]


@pytest.mark.parametrize("event", ["gc.get_objects", "gc.get_referrers", "gc.get_referents"])
def test_the_garbage_collector_is_refused(g: Guard, event: str) -> None:
    with pytest.raises(PermissionError, match=event):
        g.fire(event, caller=frame(LIBRARY, back=frame(STUDENT)))
    g.fire(event, caller=frame(LIBRARY))
    assert g.pending() == [f"!searched the garbage collector's objects: {event}"]


def test_ctypes_is_refused_to_the_notebook_and_memory_reads_through_it(g: Guard) -> None:
    ctypes_file = "/lib/python3/ctypes/__init__.py"
    with pytest.raises(PermissionError, match="ctypes"):
        g.fire("ctypes.dlopen", "libc.so.6", caller=frame(STUDENT))
    with pytest.raises(PermissionError):
        g.fire("ctypes.string_at", 1, 2, caller=frame(ctypes_file, back=frame("/lib/python3/ctypes/util.py",
                                                                                back=frame(STUDENT))))
    g.fire("ctypes.dlopen", "libc.so.6", caller=frame(ctypes_file, back=frame(STUDENT)))  # a library loading
    g.fire("ctypes.string_at", 1, 2, caller=frame(ctypes_file, back=frame(LIBRARY, back=frame(STUDENT))))
    assert g.pending() == ["!used ctypes: ctypes.dlopen", "!used ctypes: ctypes.string_at"]


def test_building_code_objects_is_refused_to_the_notebook(g: Guard) -> None:
    with pytest.raises(PermissionError, match="code objects"):
        g.fire("code.__new__", caller=frame(STUDENT))
    g.fire("code.__new__", caller=frame(LIBRARY, back=frame(STUDENT)))
    assert g.pending() == ["!built a code object by hand: types.CodeType / code.replace"]


def test_compile_under_a_real_file_name_is_refused_and_at_run_time_noted(g: Guard) -> None:
    with pytest.raises(PermissionError, match="real file"):
        g.fire("compile", "x = 1", "/lib/python3/json/__init__.py", caller=frame(LIBRARY, back=frame(STUDENT)))
    g.fire("compile", b"x = 1", "<string>", caller=frame(STUDENT))  # outside a test: noted
    g.state["in_test"] = True
    with pytest.raises(PermissionError, match="exec/eval/compile"):
        g.fire("compile", "x = 1", None, caller=frame(STUDENT))
    g.fire("compile", "x = 1", "/real.py", caller=frame(LIBRARY))  # a library, no notebook on the stack
    g.fire("compile", ast.parse("x = 1"), "/real.py", caller=frame(STUDENT))  # an AST: IPython compiles cells so
    assert g.pending() == ["!compiled code under a borrowed file name: /lib/python3/json/__init__.py",
                           "!compiled code at run time (exec/eval/compile): <string>"]
    assert g.state["during"] == ["compiled code at run time (exec/eval/compile): <string>"]


@pytest.mark.parametrize("event", ["sys.settrace", "sys.setprofile", "sys.monitoring.register_callback"])
def test_tracing_is_refused(g: Guard, event: str) -> None:
    with pytest.raises(PermissionError, match=event):
        g.fire(event, None, caller=frame(LIBRARY, back=frame(STUDENT)))
    g.fire(event, None, caller=frame(LIBRARY))
    assert g.pending() == [f"!installed a trace or profile function: {event}"]


def test_another_audit_hook_is_refused_to_anyone(g: Guard) -> None:
    with pytest.raises(PermissionError, match="addaudithook"):
        g.fire("sys.addaudithook", caller=frame(LIBRARY))
    assert g.pending() == ["!tried to add an audit hook: sys.addaudithook"]


def test_opening_memory_is_refused_and_code_files_noted(g: Guard) -> None:
    with pytest.raises(PermissionError, match="/proc/self/mem"):
        g.fire("open", b"/proc/self/mem", "rb", 0, caller=frame(LIBRARY))
    g.fire("open", "helper.py", "w", 0, caller=frame(STUDENT))
    g.fire("open", HERE + "sub/x.ipynb", None, 0, caller=frame(LIBRARY, back=frame(STUDENT)))
    g.fire("open", "/srv/source/a.ipynb", "r", 0, caller=frame(STUDENT))
    g.fire("open", "/lib/python3/os.py", "r", 0, caller=frame(STUDENT))  # the installation's own code
    g.fire("open", "data.csv", "r", 0, caller=frame(STUDENT))
    g.fire("open", "x.py", "r", 0, caller=frame(LIBRARY))
    g.fire("open", 3, "r", 0, caller=frame(STUDENT))
    assert g.pending() == ["!opened the process's memory: /proc/self/mem", "opened a code file: helper.py (w)",
                           f"opened a code file: {HERE}sub/x.ipynb (r)",
                           "!tried to open a code file outside its folder: /srv/source/a.ipynb"]


@pytest.mark.parametrize("event,noted", [
    ("os.system", "started a process: os.system"), ("subprocess.Popen", "started a process: subprocess.Popen"),
    ("os.exec", "started a process: os.exec"), ("os.posix_spawn", "started a process: os.posix_spawn"),
    ("os.fork", "started a process: os.fork"), ("os.forkpty", "started a process: os.forkpty"),
    ("os.kill", "sent a signal: os.kill"), ("os.killpg", "sent a signal: os.killpg"),
    ("signal.pthread_kill", "sent a signal: signal.pthread_kill"),
    ("function.__new__", "built a function by hand: types.FunctionType"),
])
def test_processes_signals_and_hand_made_functions_are_noted(g: Guard, event: str, noted: str) -> None:
    g.fire(event, caller=frame(STUDENT))
    g.fire(event, caller=frame(LIBRARY, back=frame(STUDENT)))
    assert g.pending() == [noted], "the notebook's own call, once, as the instructor reads it"


# --- the hook -------------------------------------------------------------------------------------

def test_the_hook_dispatches_stays_out_of_its_own_way_and_runs_requests(t: types.SimpleNamespace) -> None:
    state, calls, payloads = guard.new_state(), [], []

    def handler(event: str, args: tuple, caller: Any) -> str | None:
        calls.append((event, args, caller.f_code.co_name))
        hook("open", ("nested",))  # the guard's own events are not judged
        return "payload" if event == "exec" else None

    hook = guard.make_hook(t, state, {"open": handler, "exec": handler}, payloads.append)
    hook("import", ("x",))
    hook("open", ("a",))
    state["busy"] = True
    hook("open", ("b",))
    state["busy"] = False
    hook("exec", ("c",))
    assert calls == [("open", ("a",), "test_the_hook_dispatches_stays_out_of_its_own_way_and_runs_requests"),
                     ("exec", ("c",), "test_the_hook_dispatches_stays_out_of_its_own_way_and_runs_requests")]
    assert payloads == ["payload"]


# --- snapshots and restoring ------------------------------------------------------------------------

def test_a_tampered_protected_function_is_put_back(g: Guard) -> None:
    fn = g.module.check_close
    code, defaults, kwdefaults = fn.__code__, fn.__defaults__, fn.__kwdefaults__
    fail = fn.__closure__[fn.__code__.co_freevars.index("fail")]
    tolerance = fn.__closure__[fn.__code__.co_freevars.index("tolerance")]
    with pytest.raises(AssertionError):
        fn(1.0, 2.0)
    fail.cell_contents = lambda message: None
    tolerance.cell_contents = 1e9
    fn.__defaults__ = (1e9,)
    fn.__kwdefaults__.update(atol=1e9)  # in place: no audit event at all
    fn.__code__ = replacement_code()
    g.module._fail.__code__ = (lambda message: None).__code__  # the captured helper, protected transitively
    found: list = []
    g.restore_objects(found)
    assert fn.__code__ is code and fn.__defaults__ is defaults and fn.__kwdefaults__ is kwdefaults
    assert kwdefaults == {"atol": 1e-8}
    assert fail.cell_contents is g.module._fail and tolerance.cell_contents == 1e-6
    with pytest.raises(AssertionError, match="far"):
        fn(1.0, 2.0)
    label = f"{MODULE}.check_close"
    assert sorted(found) == sorted([
        f"rewrote {label}.__code__", f"rewrote {label}.__defaults__", f"rewrote {label}.__kwdefaults__",
        f"rewrote {label}'s captured fail (a closure cell)", f"rewrote {label}'s captured tolerance (a closure cell)",
        f"rewrote {MODULE}._fail.__code__",
    ])
    again: list = []
    g.restore_objects(again)
    assert again == [], "once put back, nothing is left to report"


def test_replaced_keyword_defaults_and_a_filled_empty_cell_are_put_back(g: Guard) -> None:
    fn, lazy = g.module.check_close, g.module.later_value
    kwdefaults = fn.__kwdefaults__
    fn.__kwdefaults__ = {"atol": 1e9}
    lazy.__closure__[0].cell_contents = 5
    kwdefaults["rtol"] = 1  # an extra key in the original dict
    found: list = []
    g.restore_objects(found)
    assert fn.__kwdefaults__ is kwdefaults and kwdefaults == {"atol": 1e-8}
    with pytest.raises(ValueError):
        lazy.__closure__[0].cell_contents  # noqa: B018 - empty again
    assert sorted(found) == [f"rewrote {MODULE}.check_close.__kwdefaults__",
                             f"rewrote {MODULE}.later_value's captured later (a closure cell)"]


def test_a_protected_module_and_class_are_put_back(g: Guard) -> None:
    original, measure = g.module.check_close, g.module.Probe.measure
    g.module.check_close = lambda *a, **k: True
    g.module.limit = 99  # a fully protected module: every name counts
    g.module.Probe.measure = lambda self: 2
    g.module.Probe.extra = lambda self: 3
    g.module.Probe.data = 5  # plain data: not behaviour
    sys.modules[MODULE] = types.ModuleType(MODULE)
    found: list = []
    g.restore_objects(found)
    assert sys.modules[MODULE] is g.module and g.module.check_close is original and g.module.limit == 3
    assert g.module.Probe.measure is measure and not hasattr(g.module.Probe, "extra")
    assert sorted(found) == sorted([f"replaced the module {MODULE} in sys.modules", f"changed {MODULE}.check_close",
                                    f"changed {MODULE}.limit", f"changed {MODULE}.Probe.measure",
                                    f"added {MODULE}.Probe.extra"])


def test_a_librarys_wrapper_is_accepted_and_the_notebooks_is_not(g: Guard) -> None:
    original = g.module.check_close

    def library_wrapper(*a: Any, **k: Any) -> Any:
        return original(*a, **k)

    library_wrapper.__wrapped__ = original
    g.module.check_close = library_wrapper
    found: list = []
    g.restore_objects(found)
    assert found == [] and g.module.check_close is library_wrapper
    mine = student_function()
    mine.__wrapped__ = library_wrapper
    g.module.check_close = mine
    g.restore_objects(found)
    assert found == [f"changed {MODULE}.check_close"] and g.module.check_close is library_wrapper


def test_the_notebooks_functions_are_never_protected(t: types.SimpleNamespace, pipe: Any) -> None:
    built = Guard(t, pipe[1], protect=False)
    try:
        mine = student_function()
        built.snapshots.function(mine, "mine")
        built.snapshots.function(built.module.check_close, "check_close")
        labels = {v[1] for v in built.state["functions"].values()}
        assert labels == {"check_close", "check_close (its captured fail)"}, labels
        built.snapshots.module("no_such_module_here")
        assert built.state["modules"] == {}
    finally:
        built.close()


def test_the_snapshot_of_builtins_leaves_out_what_the_kernel_rebinds(g: Guard) -> None:
    g.t.PROTECTED_MODULES = ("builtins",)
    snapshots = guard.make_snapshots(g.t, g.state, g.origin, None)
    snapshots.protected_modules()
    snap = g.state["modules"]["builtins"][1]
    assert snap["len"] is len and snap["__import__"] is builtins.__import__ and "__build_class__" in snap
    assert not {"input", "getpass", "__name__", "__doc__"} & set(snap)


def test_process_settings_are_put_back_and_threads_distrusted(g: Guard) -> None:
    hook, handler = student_function("def hook(*a):\n    pass\n", "hook"), signal.getsignal(signal.SIGUSR1)
    display, filters, meta_path = sys.displayhook, list(warnings.filters), list(sys.meta_path)
    release = threading.Event()
    thread = threading.Thread(target=student_function("def spin(e):\n    e.wait(5)\n", "spin"), args=(release,))
    found: list = []
    try:
        gc.callbacks.append(hook)
        sys.displayhook = hook
        sys.meta_path.insert(0, hook)
        signal.signal(signal.SIGUSR1, hook)
        warnings.simplefilter("ignore")
        thread.start()
        g.runtime.restore(found)
    finally:
        release.set()
        thread.join()
        gc.callbacks[:] = [c for c in gc.callbacks if c is not hook]
        sys.displayhook, warnings.filters[:] = display, filters
        sys.meta_path[:] = meta_path
        signal.signal(signal.SIGUSR1, handler)
    assert sorted(found) == sorted(["replaced sys.displayhook", "changed sys.meta_path (import hooks)",
                                    "added garbage-collector callbacks",
                                    f"changed the handler of signal {signal.SIGUSR1}"])
    assert g.state["untrusted"] == [f"started a background thread ({thread.name}) that keeps running the notebook's code"]


def test_ipythons_lists_callbacks_and_methods_are_put_back(t: types.SimpleNamespace, pipe: Any) -> None:
    theirs = student_function("def transform(lines):\n    return ['pass']\n", "transform")
    ours = lambda lines: lines  # noqa: E731
    shell = types.SimpleNamespace(input_transformers_cleanup=[ours], input_transformers_post=[], ast_transformers=[],
                                  events=types.SimpleNamespace(callbacks={"pre_run_cell": []}), user_ns={})
    built = Guard(t, pipe[1], shell=shell)
    try:
        shell.input_transformers_cleanup[:] = [theirs]
        shell.events.callbacks["pre_run_cell"].append(theirs)
        shell.run_cell = theirs
        found: list = []
        built.runtime.restore(found)
    finally:
        built.close()
    assert shell.input_transformers_cleanup == [ours] and shell.events.callbacks["pre_run_cell"] == []
    assert "run_cell" not in vars(shell)
    assert sorted(found) == sorted(["changed IPython's input_transformers_cleanup",
                                    "registered an IPython 'pre_run_cell' callback", "replaced IPython's run_cell"])


def test_code_imported_from_the_working_folder_is_noted(g: Guard) -> None:
    sys.modules["solution_helper_unit"] = mod = types.ModuleType("solution_helper_unit")
    mod.__file__ = HERE + "solution_helper_unit.py"
    try:
        g.runtime.restore([])
    finally:
        del sys.modules["solution_helper_unit"]
    assert g.pending() == [f"imported code from the working folder: solution_helper_unit ({HERE}solution_helper_unit.py)"]
    g.runtime.restore([])
    assert g.pending() == [f"imported code from the working folder: solution_helper_unit ({HERE}solution_helper_unit.py)"]


# --- reporting ------------------------------------------------------------------------------------

def test_answers_are_signed_lines_with_the_events_since_the_last(g: Guard, pipe: Any) -> None:
    g.note("opened a code file", "x.py")
    g.note("opened a code file", "x.py")
    g.note("used ctypes", "y", critical=True)
    assert g.state["during"] == [], "outside a test nothing is held against a test"
    g.answer("n1", {"action": "check", "restored": []})
    g.answer("n2", {"action": "check", "restored": [], "odd": {1, 2} - {1, 2}})
    first, second = read_answers(pipe[0])
    assert first == {"action": "check", "restored": [], "n": "n1",
                     "events": ["opened a code file: x.py", "!used ctypes: y"]}
    assert second["events"] == [] and second["n"] == "n2" and second["odd"] == "set()"
    for i in range(250):
        g.note("event", str(i))
    assert len(g.state["pending"]) == 200


# --- the instructor's cells --------------------------------------------------------------------------

class Cells:
    """The payload handlers with a fake restore (that may report tampering) and a plain namespace."""

    def __init__(self, t: types.SimpleNamespace) -> None:
        self.state, self.ns, self.answers, self.shown, self.calls = guard.new_state(), {}, [], [], []
        self.tamper: list[str] = []
        _stored, hidden_names = guard.make_name_parsers(t)
        self.handlers = guard.make_payload_handlers(
            t, self.state, restore=self.restore, after_locked=lambda: self.calls.append("after_locked"),
            run_source=guard.make_runner(t), hidden_names=hidden_names,
            answer=lambda nonce, payload: self.answers.append(dict(payload, n=nonce)),
            user_ns=lambda: self.ns, displayhook=self.shown.append,
        )

    def restore(self, found: list) -> None:
        self.calls.append("restore")
        found += self.tamper
        self.tamper = []


def test_a_locked_cell_runs_in_the_notebook_and_its_bindings_are_remembered(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    cells.ns.update(_i1="x", keep=1)
    cells.tamper = ["changed torch.equal"]
    cells.handlers["locked"]("n1", "setup", "import math\nfactor = 2\ndef helper():\n    return factor\n_i2 = 'x'\nfactor * 21")
    assert cells.calls == ["restore", "after_locked", "restore"], "what the cell set up is accepted before restoring"
    assert set(cells.state["bindings"]) == {"math", "factor", "helper"}
    assert cells.ns["helper"]() == 2 and cells.shown == [42]
    assert cells.answers == [{"action": "locked", "restored": ["changed torch.equal"], "ok": True, "n": "n1"}]
    assert cells.ns["helper"].__code__.co_filename == protocol.LOCKED_FILE_PREFIX + "setup>"


def test_a_failing_locked_cell_answers_then_raises(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    with pytest.raises(ZeroDivisionError):
        cells.handlers["locked"]("n1", "setup", "x = 1\n1 / 0")
    assert cells.answers[0]["ok"] is False and cells.state["bindings"] == {"x": 1}


def test_a_test_uses_the_instructors_bindings_and_keeps_hidden_names_apart(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    cells.handlers["locked"]("n0", "setup", "def check(x):\n    assert x == 2, 'wrong'\nlimit = 5")
    cells.ns["check"] = lambda x: None  # the notebook redefines the check
    cells.ns["limit"] = 6  # and a plain value: replaced silently
    cells.ns["double"] = lambda x: 2 * x
    source = ("check(double(1))\nshown = 1\n### BEGIN HIDDEN TESTS\nexpected = double(3)\n### END HIDDEN TESTS\n"
              "limit")
    cells.handlers["test"]("n1", "test_double", source)
    answer = cells.answers[-1]
    assert answer["ok"] is True and answer["violations"] == [] and answer["error"] is None
    assert answer["restored"] == ["redefined check (the test used the original)"]
    assert cells.ns["shown"] == 1 and "expected" not in cells.ns and cells.state["carry"] == {"expected": 6}
    assert cells.shown == [5], "the test saw the instructor's limit"
    cells.handlers["test"]("n2", "test_later", "assert expected == 6")
    assert cells.answers[-1]["ok"] is True
    cells.ns["double"] = lambda x: x
    with pytest.raises(AssertionError, match="wrong"):
        cells.handlers["test"]("n3", "test_double", source)
    assert cells.answers[-1]["error"] == "AssertionError: wrong" and cells.answers[-1]["ok"] is False


def test_a_tests_source_stays_out_of_linecache_and_a_locked_cells_does_not(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    cells.handlers["locked"]("n0", "setup_lc", "x = 1")
    cells.handlers["test"]("n1", "test_lc", "y = 2  # secret")
    assert protocol.LOCKED_FILE_PREFIX + "setup_lc>" in t.linecache
    assert protocol.TEST_FILE_PREFIX + "test_lc>" not in t.linecache
    del t.linecache[protocol.LOCKED_FILE_PREFIX + "setup_lc>"]


def test_tampering_during_a_test_makes_it_not_count(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    seen: list = []
    cells.ns["probe"] = lambda: seen.append(cells.state["in_test"]) or cells.state["during"].append("used ctypes: x")
    with pytest.raises(Exception, match="The grader does not count this test: used ctypes: x") as err:
        cells.handlers["test"]("n1", "test_a", "probe()")
    assert type(err.value).__name__ == "GuardViolation" and type(err.value).__module__ == "grader"
    assert seen == [True] and cells.state["in_test"] is False
    assert cells.answers[-1]["ok"] is False and cells.answers[-1]["violations"] == ["used ctypes: x"]
    # What restoring finds after the test ran is the notebook's doing during the test.
    cells.ns["probe"] = lambda: setattr(cells, "tamper", ["changed course.checks.check_close"])
    with pytest.raises(Exception, match="during the test the notebook's code changed course.checks.check_close"):
        cells.handlers["test"]("n2", "test_b", "probe()")
    # Once a test cannot be trusted, no later test is.
    cells.state["untrusted"].append("started a background thread")
    with pytest.raises(Exception, match="started a background thread"):
        cells.handlers["test"]("n3", "test_c", "x = 1")


def test_the_final_check_restores_and_reports_distrust(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    cells.tamper = ["replaced sys.displayhook"]
    cells.state["untrusted"].append("overrode PyTorch operators")
    cells.handlers["check"]("n9", "end", "")
    assert cells.answers == [{"action": "check", "restored": ["replaced sys.displayhook"],
                              "untrusted": ["overrode PyTorch operators"], "n": "n9"}]


# --- requests -------------------------------------------------------------------------------------

def request_text(key: bytes, nonce: str, action: str, source: str) -> str:
    code = protocol.request(key, nonce, action, "cell", source)
    return ast.literal_eval(code.split(" = ", 1)[1].split("\n", 1)[0])


def test_a_signed_request_runs_once_and_a_forged_one_never(t: types.SimpleNamespace) -> None:
    state, notes, runs = guard.new_state(), [], []

    def recorder(action: str) -> Any:
        return lambda nonce, name, src: runs.append((action, nonce, name, src))

    handlers = {"test": recorder("test"), "check": recorder("check")}
    handle = guard.make_request_handler(t, state, protocol.request_reader(KEY), handlers,
                                        lambda kind, detail, critical=False: notes.append(kind))
    handle(request_text(KEY, "n1", "test", "assert True"))
    handle(request_text(KEY, "n1", "test", "assert True"))
    handle(request_text(b"x" * 32, "n2", "test", "assert True"))
    handle(protocol.PAYLOAD_PREFIX + "no-space")
    handle(request_text(KEY, "n3", "check", ""))
    handle(request_text(KEY, "n4", "nonsense", "x"))
    assert runs == [("test", "n1", "cell", "assert True"), ("check", "n3", "cell", "")]
    assert notes == ["replayed a grader request", "forged a grader request"]
    assert state["used"] == {"n1", "n3", "n4"}


def test_a_request_through_the_hook_reaches_its_handler(g: Guard) -> None:
    runs: list = []
    handle = guard.make_request_handler(g.t, g.state, protocol.request_reader(KEY), {"test": lambda *a: runs.append(a)},
                                        g.note)
    hook = guard.make_hook(g.t, g.state, g.table, handle)
    code = compile(protocol.request(KEY, "n1", "test", "test_x", "x = 1  # hidden"), "<ipython-input-3>", "exec")
    hook("exec", (code,))
    assert runs == [("n1", "test_x", "x = 1  # hidden")]


# --- names --------------------------------------------------------------------------------------

def test_stored_names_and_hidden_names(t: types.SimpleNamespace) -> None:
    stored_names, hidden_names = guard.make_name_parsers(t)
    source = ("import os.path\nimport numpy as np\nfrom math import pi as PI\na, (b, c) = 1, (2, 3)\nfor i in []: pass\n"
              "with open('f') as fh: pass\ndef f(arg): local = 1\nclass K: attr = 1\nx.y = 1\nz[0] = 1\nprint(q)")
    assert stored_names(source) == {"os", "np", "PI", "a", "b", "c", "i", "fh", "f", "local", "K", "attr"}
    assert stored_names("def (") == set()
    test = "shown = 1\n# BEGIN HIDDEN TESTS\nexpected = 2\nshown = 3\n# END HIDDEN TESTS\nafter = 4"
    assert hidden_names(test) == {"expected"}
    assert hidden_names("expected = 2") == set()
    assert hidden_names("if True:\n# BEGIN HIDDEN TESTS\n    expected = 2\n# END HIDDEN TESTS\n") == set()


# --- nothing the guard uses can be rebound after install ----------------------------------------------

def _nested_functions(code: types.CodeType) -> list[types.CodeType]:
    out = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_flags & 0x1:  # CO_OPTIMIZED: a function (a class body runs once, at install)
                out.append(const)
            out += _nested_functions(const)
    return out


def test_no_function_the_guard_builds_looks_up_a_global_name() -> None:
    """Every function a factory returns (and every function inside those) reads builtins, the
    standard library and this module's constants from its closure, taken at install."""
    module = compile(open(guard.__file__).read(), guard.__file__, "exec")
    factories = [c for c in module.co_consts if isinstance(c, types.CodeType)]
    assert {"make_event_table", "make_object_restorer", "make_payload_handlers", "make_hook"} <= {c.co_name for c in factories}
    offenders = []
    for factory in factories:
        for fn in _nested_functions(factory):
            names = sorted({i.argval for i in dis.get_instructions(fn) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")})
            if names or "t" in fn.co_freevars:
                offenders.append(f"{factory.co_name}.{fn.co_name}: {names or 'reads t at call time'}")
    assert offenders == []


def test_rebinding_builtins_and_the_guards_constants_changes_nothing(g: Guard) -> None:
    fn = g.module.check_close
    code = fn.__code__
    payload = compile(protocol.request(KEY, "n1", "test", "t", "x = 1"), "<ipython-input-1>", "exec")
    saved_builtins = {k: getattr(builtins, k) for k in ("isinstance", "getattr", "len", "type", "any", "id",
                                                        "PermissionError", "list")}
    saved_guard = {k: getattr(guard, k) for k in ("PAYLOAD_PREFIX", "FRAME_ATTRS", "FUNCTION_ATTRS", "TEST_FILE_PREFIX")}
    results: dict[str, Any] = {}
    try:
        builtins.isinstance = lambda *a: False
        builtins.getattr = lambda *a: None
        builtins.len = lambda x: 0
        builtins.type = lambda *a: object
        builtins.any = lambda it: False
        builtins.id = lambda x: 0
        builtins.list = tuple
        builtins.PermissionError = type(None)
        guard.PAYLOAD_PREFIX = "nothing-matches:"
        guard.FRAME_ATTRS = frozenset()
        guard.FUNCTION_ATTRS = ()
        guard.TEST_FILE_PREFIX = "<"
        for name, event, args in (("frame", "object.__getattr__", (object(), "tb_frame")),
                                  ("code", "object.__setattr__", (fn, "__code__", None))):
            try:
                g.table[event](event, args, frame(STUDENT))
                results[name] = "allowed"
            except saved_builtins["PermissionError"]:
                results[name] = "refused"
        results["payload"] = g.table["exec"]("exec", (payload,), frame(STUDENT))
        fn.__code__ = replacement_code()
        found: list = []
        g.restore_objects(found)
        results["restored"] = fn.__code__ is code
        results["found"] = found
    finally:
        for k, v in saved_builtins.items():
            setattr(builtins, k, v)
        for k, v in saved_guard.items():
            setattr(guard, k, v)
    assert results["frame"] == "refused" and results["code"] == "refused"
    assert results["payload"] is not None and results["payload"].startswith(protocol.PAYLOAD_PREFIX)
    assert results["restored"] is True and results["found"] == [f"rewrote {MODULE}.check_close.__code__"]


# --- install time ---------------------------------------------------------------------------------------

def test_the_key_fd_and_roots_are_taken_out_of_the_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    monkeypatch.setenv(protocol.KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv(protocol.FD_ENV, "7")
    monkeypatch.setenv(protocol.ROOTS_ENV, os.pathsep.join(["/usr/lib/", "", "/course/"]))
    assert guard.read_secret() == (KEY, 7, ("/usr/lib/", "/course/"))
    assert not key_file.exists(), "the key's file is gone once read"
    assert not {protocol.KEY_FILE_ENV, protocol.FD_ENV, protocol.ROOTS_ENV} & set(os.environ), "nor is it in reach"
    # Without a pipe or roots: no descriptor, no trusted root.
    key_file.write_bytes(KEY)
    monkeypatch.setenv(protocol.KEY_FILE_ENV, str(key_file))
    assert guard.read_secret() == (KEY, -1, ())
    # Without a key (none given, or its file already gone) there is no guard.
    assert guard.read_secret() is None
    monkeypatch.setenv(protocol.KEY_FILE_ENV, str(key_file))
    assert guard.read_secret() is None


def test_where_the_course_and_the_kernels_cells_are(monkeypatch: pytest.MonkeyPatch) -> None:
    from ipykernel.compiler import get_tmp_directory

    import course

    assert guard.course_dir() == os.path.dirname(os.path.realpath(course.__file__)) + os.sep
    assert guard.kernel_cell_dir() == get_tmp_directory() + os.sep
    monkeypatch.setitem(sys.modules, "course", types.ModuleType("course"))  # a course without a file
    assert guard.course_dir() is None
    monkeypatch.setitem(sys.modules, "ipykernel.compiler", None)  # no ipykernel: a folder no cell is in
    assert guard.kernel_cell_dir() == "/nonexistent-cell-dir/"


def test_the_shell_is_ipythons_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython

    shell = object()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert guard.ipython_shell() is shell
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert guard.ipython_shell() is None


def test_install_adds_one_hook_once_and_only_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: list = []
    built: list = []
    monkeypatch.setattr(guard, "_INSTALLED", False)
    monkeypatch.setattr(sys, "addaudithook", hooks.append)
    monkeypatch.setattr(guard, "read_secret", lambda: None)
    assert guard.install() == "no key" and hooks == [] and guard._INSTALLED is False

    def build(t: types.SimpleNamespace, shell: Any, key: bytes, fd: int) -> Any:
        built.append((t, shell, key, fd))
        return "the hook"

    shell = object()
    monkeypatch.setattr(guard, "read_secret", lambda: (KEY, 9, ("/roots/",)))
    monkeypatch.setattr(guard, "build", build)
    monkeypatch.setattr(guard, "ipython_shell", lambda: shell)
    monkeypatch.setattr(guard, "kernel_cell_dir", lambda: CELLS)
    monkeypatch.setattr(guard, "course_dir", lambda: COURSE)
    monkeypatch.setattr(guard, "EAGER_IMPORTS", ("no_such_module_for_the_guard", "colorsys"))
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    assert guard.install() == "ok" and hooks == ["the hook"]
    assert "colorsys" in sys.modules, "what the tests rely on is imported (and protected) before any cell runs"
    (t, got_shell, key, fd), = built
    assert got_shell is shell and key == KEY and fd == 9
    assert (t.cell_dir, t.roots, t.course_dir, t.here) == (CELLS, ("/roots/",), COURSE, os.getcwd() + os.sep)
    assert guard.install() == "already installed" and len(hooks) == 1


class FakeTorch(types.ModuleType):
    """What the guard uses of torch: default dtype, grad mode and device, mode stacks, torch.library's
    registrations, and three patchable classes."""

    def __init__(self) -> None:
        super().__init__("torch")
        self.dtype, self.grad, self.device = "float32", True, "cpu"
        self.function_modes, self.dispatch_modes = [], []
        self._C = types.SimpleNamespace(
            _len_torch_function_stack=lambda: len(self.function_modes), _pop_torch_function_stack=self.function_modes.pop,
            _len_torch_dispatch_stack=lambda: len(self.dispatch_modes), _pop_torch_dispatch_stack=self.dispatch_modes.pop)
        self.library = types.SimpleNamespace(_impls={"aten/add/CPU"})
        self.Tensor = type("Tensor", (), {"add": lambda self, other: "sum", "__module__": "torch"})
        self.nn = types.SimpleNamespace(Parameter=type("Parameter", (self.Tensor,), {}),
                                        Module=type("Module", (), {"forward": lambda self: "out"}))

    def get_default_dtype(self) -> str:
        return self.dtype

    def set_default_dtype(self, dtype: str) -> None:
        self.dtype = dtype

    def is_grad_enabled(self) -> bool:
        return self.grad

    def set_grad_enabled(self, mode: bool) -> None:
        self.grad = mode

    def get_default_device(self) -> str:
        return self.device

    def set_default_device(self, device: str) -> None:
        self.device = device


def fake_shell(**extra: Any) -> Any:
    return types.SimpleNamespace(input_transformers_cleanup=[], input_transformers_post=[], ast_transformers=[],
                                 events=types.SimpleNamespace(callbacks={}), user_ns={}, **extra)


class Whole:
    """The whole guard as install builds it (``guard.build``), around a scratch module, a fake torch
    and a fake shell; requests go through the hook, answers come back on the pipe."""

    def __init__(self, t: types.SimpleNamespace, pipe: Any, monkeypatch: pytest.MonkeyPatch, shell: Any = None,
                 ipython: bool = True, modules: dict | None = None) -> None:
        self.module = types.ModuleType(MODULE)
        exec(compile(COURSE_SOURCE, COURSE + "checks.py", "exec"), self.module.__dict__)  # noqa: S102
        self.torch, self.shown, self.pipe = FakeTorch(), [], pipe
        self.main = types.ModuleType("__main__")  # where cells run without IPython
        monkeypatch.setattr(sys, "displayhook", self.shown.append)  # what shows a locked cell's value
        t.modules = {MODULE: self.module, "torch": self.torch, "__main__": self.main, **(modules or {})}
        t.PROTECTED_MODULES = t.FULLY_PROTECTED = t.TYPE_MODULES = (MODULE,)
        self.shell = (shell or fake_shell()) if ipython else None
        (self.main.__dict__ if self.shell is None else self.shell.user_ns).update(torch=self.torch, checks=self.module)
        self.hook = guard.build(t, self.shell, KEY, pipe[1])

    def send(self, nonce: str, action: str, source: str, key: bytes = KEY) -> None:
        request = protocol.request(key, nonce, action, "cell", source)
        self.hook("exec", (compile(request, "<ipython-input-1>", "exec"),))

    def answers(self) -> list[dict]:
        return read_answers(self.pipe[0])


def test_build_wires_a_hook_that_runs_signed_cells_and_answers(t: types.SimpleNamespace, pipe: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    w = Whole(t, pipe, monkeypatch)
    torch, shell, module = w.torch, w.shell, w.module
    w.send("n1", "locked", "torch.set_default_dtype('float64')\nfactor = 2\nfactor * 21")
    assert w.shown == [42] and shell.user_ns["factor"] == 2
    shell.user_ns["factor"] = 3  # the notebook rebinds it
    w.send("n2", "test", "assert factor == 2, factor\nassert torch.get_default_dtype() == 'float64'\n"
                         "torch.set_grad_enabled(False)")
    assert torch.grad is True, "the test's changes to torch's settings are undone"
    with pytest.raises(Exception, match="changed torch.Tensor.add"):
        w.send("n3", "test", "torch.Tensor.add = lambda self, other: 'patched'")
    assert torch.Tensor.add(None, None) == "sum"
    w.send("n3", "test", "x = 1")  # replayed
    w.send("n4", "test", "x = 1", key=b"x" * 32)  # forged
    checks = module.check_close
    checks.__defaults__ = (1e9,)
    w.send("n5", "check", "")
    with pytest.raises(PermissionError, match="addaudithook"):
        w.hook("sys.addaudithook", ())
    locked, test, tampered, check = w.answers()
    assert locked == {"action": "locked", "restored": [], "ok": True, "n": "n1", "events": []}
    assert test == {"action": "test", "restored": [], "violations": [], "ok": True, "error": None, "n": "n2",
                    "events": []}
    assert tampered["ok"] is False and tampered["violations"] == [
        "during the test the notebook's code changed torch.Tensor.add"]
    assert check["action"] == "check" and check["restored"] == [f"rewrote {MODULE}.check_close.__defaults__"]
    assert check["events"] == ["replayed a grader request: n3", "forged a grader request: bad signature"]
    assert checks.__defaults__ == (1e-5,)


def test_a_failing_cell_shows_the_learner_its_own_line_not_the_graders_frames(
        t: types.SimpleNamespace, pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """IPython's tracebacks leave out every frame whose ``__tracebackhide__`` is true (ultratb), so
    the feedback shows the failing line of the cell, not the guard's frames."""
    w = Whole(t, pipe, monkeypatch)
    for action, source in (("locked", "x = 1\n1 / 0"), ("test", "assert x == 2, 'x should be 2'")):
        with pytest.raises(Exception) as err:
            w.send(action, action, source)
        frames, tb = [], err.value.__traceback__.tb_next.tb_next  # past this test and send()
        while tb is not None:
            frames.append((tb.tb_frame.f_code.co_name, bool(tb.tb_frame.f_locals.get("__tracebackhide__"))))
            tb = tb.tb_next
        # (the handler's frame shows twice: it answers the grader, then raises the cell's error again)
        assert frames[-1] == ("<module>", False), frames
        assert set(frames[:-1]) == {("hook", True), ("handle_payload", True), (f"do_{action}", True),
                                    ("run_source", True)}, frames


def test_torchs_modes_and_defaults_are_put_back_and_a_locked_cells_accepted(t: types.SimpleNamespace, pipe: Any) -> None:
    torch, filters = FakeTorch(), list(warnings.filters)
    state, notes = guard.new_state(), []
    state["seen_modules"] = set(sys.modules)
    origin = guard.make_origin(t)
    pristine = guard.capture_pristine(t, None, torch)
    runtime = guard.make_runtime_restorer(t, state, origin, pristine, None, torch,
                                          lambda kind, detail, critical=False: notes.append(kind))
    try:
        torch.function_modes += ["mode1", "mode2"]
        torch.dispatch_modes.append("mode")
        torch.dtype, torch.grad, torch.device = "float64", False, "cuda"
        torch.library._impls |= {"aten/mm/CPU", "aten/sub/CUDA", "aten/add/Meta", "aten/add/FakeTensor", "mylib/op/CPU"}
        found: list = []
        runtime.restore(found)
        assert (torch.function_modes, torch.dispatch_modes) == ([], [])
        assert (torch.dtype, torch.grad, torch.device) == ("float32", True, "cpu")
        assert found == ["left a torch function mode active (TorchFunctionMode)"] * 2 + [
            "left a torch dispatch mode active (TorchDispatchMode)"]
        assert state["untrusted"] == ["overrode PyTorch operators with torch.library: aten/mm/CPU, aten/sub/CUDA"]
        runtime.restore(found)
        assert len(found) == 3 and len(state["untrusted"]) == 1, "reported once"
        torch.library._impls |= {f"aten/op{i:03}/CPU" for i in range(100)}
        runtime.restore(found)
        assert state["untrusted"][1] == ("overrode PyTorch operators with torch.library: "
                                         + ", ".join(["aten/mm/CPU"] + [f"aten/op{i:03}/CPU" for i in range(100)])[:200])
        # A locked cell's settings are accepted (rebase), and then kept by restoring.
        torch.dtype, torch.grad = "float64", False
        warnings.simplefilter("ignore")
        mine = list(warnings.filters)
        runtime.rebase()
        runtime.restore(found)
        assert (torch.dtype, torch.grad) == ("float64", False) and warnings.filters == mine
        torch.dtype, torch.grad = "float16", True
        warnings.resetwarnings()
        runtime.restore(found)
        assert (torch.dtype, torch.grad) == ("float64", False) and warnings.filters == mine
    finally:
        warnings.filters[:] = filters
    assert notes == []


def test_what_a_test_sees_and_leaves_behind(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    cells.handlers["locked"]("n0", "setup", "model = None\ndef check(x):\n    return x\ndef fit(x):\n    return x")
    assert set(cells.state["bindings"]) == {"model", "check", "fit"}, "a name bound to None is the instructor's too"
    del cells.ns["model"]
    cells.handlers["test"]("n1", "test_a", "assert model is None\nresult = None")
    assert cells.answers[-1]["restored"] == [], "the notebook redefined nothing"
    assert "result" in cells.ns and cells.ns["result"] is None, "what the test binds is the learner's"
    cells.ns["check"] = cells.ns["fit"] = lambda x: x
    cells.handlers["test"]("n2", "test_b", "x = 1\n# BEGIN HIDDEN TESTS\nsecret = 2\n# END HIDDEN TESTS")
    assert cells.answers[-1]["restored"] == ["redefined check, fit (the test used the original)"]
    cells.handlers["test"]("n3", "test_c", "assert secret == 2")
    assert "secret" not in cells.ns, "a hidden name never reaches the learner's namespace"
    assert [a["action"] for a in cells.answers] == ["locked", "test", "test", "test"]


def test_a_test_is_judged_by_what_happened_during_it_only(t: types.SimpleNamespace) -> None:
    cells = Cells(t)
    for i in range(4):
        cells.ns[f"probe{i}"] = lambda i=i: cells.state["during"].append(f"used ctypes: {i}")
    with pytest.raises(Exception) as err:
        cells.handlers["test"]("n1", "test_a", "probe0(); probe1(); probe2(); probe3()")
    assert str(err.value) == ("The grader does not count this test: used ctypes: 0; used ctypes: 1; used ctypes: 2. "
                              "A solution may not change PyTorch or the course's helpers, nor look into the tests.")
    cells.handlers["test"]("n2", "test_b", "x = 1")
    assert cells.answers[-1]["ok"] is True and cells.answers[-1]["violations"] == [], "the last test's events are gone"
    with pytest.raises(ValueError):
        cells.handlers["test"]("n3", "test_c", "raise ValueError('x' * 500)")
    assert cells.answers[-1]["error"] == ("ValueError: " + "x" * 500)[:300]


def test_cells_are_run_as_ipython_runs_them(t: types.SimpleNamespace) -> None:
    run_source = guard.make_runner(t)
    magics: list = []
    ns = {"get_ipython": lambda: types.SimpleNamespace(run_line_magic=lambda *a: magics.append(a))}
    assert run_source("%matplotlib inline\nx = 2\nx * 3", LOCKED, ns) == 6 and magics == [("matplotlib", "inline")]
    assert linecache.getline(LOCKED, 2) == "x = 2\n", "a locked cell's lines show in its tracebacks"
    with pytest.raises(SyntaxError) as err:
        run_source("y = (", LOCKED, ns)
    assert err.value.filename == LOCKED
    del linecache.cache[LOCKED]


# --- whose code is this --------------------------------------------------------------------------------

def test_whose_file_is_this(t: types.SimpleNamespace) -> None:
    is_student_file = guard.make_origin(t).file
    for theirs in (STUDENT, "<ipython-input-3-0f1e2d>", "<string>", "<stdin>"):
        assert is_student_file(theirs), theirs
    for ours in (TEST, LOCKED, "<frozen importlib._bootstrap>", LIBRARY, HERE + "helper.py"):
        assert not is_student_file(ours), ours


def test_whose_object_is_this(t: types.SimpleNamespace) -> None:
    obj = guard.make_origin(t).obj
    ns: dict = {"__name__": "__main__"}
    exec(compile("class Plain:\n    def run(self):\n        pass\n"  # noqa: S102
                 "class Cls:\n    @classmethod\n    def make(cls):\n        pass\n"
                 "def f():\n    pass\n", STUDENT, "exec"), ns)
    exec(compile("class Lib:\n    def run(self):\n        pass\n", LIBRARY, "exec"), ns)  # noqa: S102
    plain, cls, lib = ns["Plain"], ns["Cls"], ns["Lib"]
    for theirs in (ns["f"], plain, plain(), plain().run, cls, cls(), vars(cls)["make"], staticmethod(ns["f"])):
        assert obj(theirs), theirs
    elsewhere = type("Elsewhere", (), {"run": ns["f"], "__module__": "somewhere"})  # not defined in the notebook
    for ours in (lib, lib(), lib().run, json.dumps, len, 3, elsewhere, elsewhere()):
        assert not obj(ours), ours


def chain(*filenames: str) -> Any:
    """Frames, the first the innermost (the caller), each called by the next."""
    out = None
    for filename in reversed(filenames):
        out = frame(filename, back=out)
    return out


def test_the_search_for_the_notebook_on_the_stack_is_bounded(t: types.SimpleNamespace) -> None:
    origin = guard.make_origin(t)
    assert origin.on_stack(chain(*[LIBRARY] * 399, STUDENT))
    assert not origin.on_stack(chain(*[LIBRARY] * 400, STUDENT)), "400 frames are looked at, no more"
    assert not origin.on_stack(chain(LIBRARY, LOCKED, STUDENT)) and not origin.on_stack(None)
    ctypes_file = "/lib/python3/ctypes/__init__.py"
    in_ctypes = lambda name: "/ctypes/" in name  # noqa: E731
    assert origin.asked(chain(*[ctypes_file] * 20, STUDENT), in_ctypes)
    assert not origin.asked(chain(*[ctypes_file] * 21, STUDENT), in_ctypes), "a library 20 frames deep, no more"
    assert not origin.asked(chain(ctypes_file, LIBRARY, STUDENT), in_ctypes)
    assert not origin.asked(chain(ctypes_file), in_ctypes)


def test_a_deleted_name_or_keyword_default_that_was_none_is_put_back(g: Guard) -> None:
    del g.module.nothing
    del g.module.fit.__kwdefaults__["seed"]  # in place: no audit event at all
    found: list = []
    g.restore_objects(found)
    assert g.module.nothing is None and g.module.fit.__kwdefaults__ == {"seed": None}
    assert sorted(found) == [f"changed {MODULE}.nothing", f"rewrote {MODULE}.fit.__kwdefaults__"]


def wrap(fn: Any, depth: int) -> Any:
    """A library's wrapper ``depth`` levels of ``__wrapped__`` around ``fn`` (as functools.wraps leaves)."""
    for _ in range(depth):
        inner = fn

        def fn(*a: Any, _inner: Any = inner, **k: Any) -> Any:
            return _inner(*a, **k)

        fn.__wrapped__ = inner
    return fn


def test_a_librarys_wrappers_up_to_six_deep_are_accepted_in_modules_and_classes(g: Guard) -> None:
    probe = g.module.Probe
    g.module.check_close = wrap(g.module.check_close, 6)
    probe.measure = wrap(probe.measure, 6)
    g.module.limit = 4  # after the wrappers in the module's and the class's order: still looked at
    probe.reset = lambda self: None
    found: list = []
    g.restore_objects(found)
    assert sorted(found) == [f"changed {MODULE}.Probe.reset", f"changed {MODULE}.limit"]
    g.restore_objects(found)
    assert len(found) == 2, "an accepted wrapper is the new original"
    original = g.module._fail
    g.module._fail = wrap(original, 7)
    g.restore_objects(found)
    assert found[-1] == f"changed {MODULE}._fail" and g.module._fail is original


def test_snapshots_of_a_library_module_take_its_public_behaviour(g: Guard) -> None:
    lib = types.ModuleType("fakelib_guard_unit")
    exec(compile("import json\ndef public(): pass\ndef _private(): pass\ndata = 3\n"  # noqa: S102
                 "class Public:\n    pass\nclass _Private:\n    pass\n", LIBRARY, "exec"), lib.__dict__)
    g.t.modules = {"fakelib_guard_unit": lib}
    g.t.FULLY_PROTECTED, g.t.TYPE_MODULES, g.t.PROTECTED_MODULES = (), ("fakelib_guard_unit",), ("fakelib_guard_unit",)
    state = guard.new_state()
    snapshots = guard.make_snapshots(g.t, state, g.origin, None)
    snapshots.protected_modules()
    assert set(state["modules"]["fakelib_guard_unit"][1]) == {"json", "public", "Public"}
    assert {v[1] for v in state["types"].values()} == {"fakelib_guard_unit.Public"}
    # A library's closures are its own business: only the course's functions keep tools there.
    assert all(v[6] is None for v in state["functions"].values())


def test_at_most_max_functions_are_recorded(g: Guard) -> None:
    g.t.MAX_FUNCTIONS = 2
    state = guard.new_state()
    snapshots = guard.make_snapshots(g.t, state, g.origin, None)
    snapshots.protected_modules()
    assert len(state["functions"]) == 2


def test_a_class_the_course_captures_and_its_methods_are_protected(g: Guard) -> None:
    ns: dict = {"__name__": "course.probes_unit", "json": json}
    exec(compile("class Meter:\n    def read(self):\n        return 1\n"  # noqa: S102
                 "    @classmethod\n    def make(cls):\n        return cls()\n"
                 "    size = property(lambda self: 1)\n"
                 "    class Config:\n        pass\n"
                 "def _make():\n    meter = Meter\n    other = json.JSONDecoder\n"
                 "    def probe():\n        return meter.make().read(), other\n    return probe\n"
                 "probe = _make()\n", COURSE + "probes.py", "exec"), ns)
    meter, make = ns["Meter"], vars(ns["Meter"])["make"].__func__
    g.snapshots.function(ns["probe"], "probe")
    labels = {v[1] for v in g.state["types"].values()}
    assert "probe (its captured class meter)" in labels and not any("other" in label for label in labels)
    make.__code__ = (lambda cls: None).__code__
    meter.size = property(lambda self: 2)
    meter.Config = type("Config", (), {})
    meter.settings = types.SimpleNamespace()  # data, not behaviour
    found: list = []
    g.restore_objects(found)
    label = "probe (its captured class meter)"
    assert sorted(found) == sorted([f"rewrote {label}.make.__code__", f"changed {label}.size",
                                    f"changed {label}.Config"])
    assert ns["probe"]()[0] == 1 and meter().size == 1


def test_an_event_is_cut_at_300_characters_and_counted_once_against_a_test(g: Guard) -> None:
    g.note("opened a code file", "x" * 400)
    assert g.pending() == [("opened a code file: " + "x" * 400)[:300]]
    g.state["in_test"] = True
    g.note("used ctypes", "y", critical=True)
    g.note("used ctypes", "y", critical=True)
    assert g.state["during"] == ["used ctypes: y"]


def test_an_answer_is_written_whole_and_a_closed_pipe_is_silence(g: Guard, pipe: Any) -> None:
    chunks: list = []

    def write(fd: int, data: Any) -> int:  # a pipe that takes 10 bytes at a time
        chunks.append(bytes(data[:10]))
        return len(chunks[-1])

    g.t.write = write
    note, answer = guard.make_reporter(g.t, g.state, protocol.channel(KEY)[0], pipe[1])
    answer("n1", {"action": "check"})
    mac, body = b"".join(chunks).decode().rstrip("\n").split(" ", 1)
    assert json.loads(body)["n"] == "n1" and mac == protocol.channel(KEY)[0](body)
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    _note, answer = guard.make_reporter(guard.capture(CELLS, ROOTS, COURSE, HERE), g.state,
                                        protocol.channel(KEY)[0], w)
    answer("n2", {"action": "check"})  # no exception: the grader notices the missing answer


def test_install_snapshots_ipythons_kernels_and_torchs_classes_with_the_hook_kept_out(t: types.SimpleNamespace) -> None:
    state = guard.new_state()
    seen_busy: list = []

    class Modules(dict):
        def get(self, name: str, default: Any = None) -> Any:
            seen_busy.append(state["busy"])
            return super().get(name, default)

    torch = FakeTorch()
    t.modules = Modules(torch=torch)
    t.PROTECTED_MODULES = ()
    base = type("InteractiveShell", (), {"run_cell": lambda self: None})
    kernel = type("IPythonKernel", (type("Kernel", (), {}),), {})()
    shell = type("ZMQInteractiveShell", (base,), {})()
    shell.kernel = kernel
    snapshots = guard.make_snapshots(t, state, guard.make_origin(t), shell)
    snapshots.all()
    assert seen_busy and all(seen_busy) and state["busy"] is False
    assert sorted(v[1] for v in state["types"].values()) == [
        "IPython InteractiveShell", "IPython ZMQInteractiveShell", "ipykernel IPythonKernel", "ipykernel Kernel",
        "torch.Tensor", "torch.nn.Module", "torch.nn.Parameter"]


def test_a_thread_running_at_install_is_not_the_notebooks_doing(g: Guard) -> None:
    release = threading.Event()
    thread = threading.Thread(target=student_function("def spin(e):\n    e.wait(5)\n", "spin"), args=(release,))
    thread.start()
    try:
        pristine = guard.capture_pristine(g.t, None, None)
        runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, pristine, None, None, g.note)
        runtime.restore([])
    finally:
        release.set()
        thread.join()
    assert g.state["untrusted"] == []


def test_an_older_torch_without_modes_device_or_library_is_still_put_back(t: types.SimpleNamespace) -> None:
    torch = types.SimpleNamespace(_C=types.SimpleNamespace(), dtype="float32", grad=True)
    for name in ("get_default_dtype", "set_default_dtype", "is_grad_enabled", "set_grad_enabled"):
        setattr(torch, name, getattr(FakeTorch, name).__get__(torch))
    state = guard.new_state()
    state["seen_modules"] = set(sys.modules)
    pristine = guard.capture_pristine(t, None, torch)
    runtime = guard.make_runtime_restorer(t, state, guard.make_origin(t), pristine, None, torch, lambda *a, **k: None)
    torch.dtype, torch.grad = "float16", False
    found: list = []
    runtime.restore(found)
    assert (torch.dtype, torch.grad, found, state["untrusted"]) == ("float32", True, [], [])


def test_sys_hooks_import_hooks_and_tracing_are_put_back(g: Guard) -> None:
    traced: list = []
    hook = student_function("def hook(*a):\n    pass\n", "hook")
    library_finder, first = object(), sys.meta_path[0]
    saved = (sys.stdout, sys.stderr, sys.breakpointhook, list(sys.meta_path), list(sys.path), list(sys.path_hooks))
    trace = profile = hook
    g.t.gettrace, g.t.settrace = lambda: trace, traced.append
    g.t.getprofile, g.t.setprofile = lambda: profile, traced.append
    g.t.threading = types.SimpleNamespace(_trace_hook=None, _profile_hook=hook)
    g.t.threading_settrace, g.t.threading_setprofile = traced.append, traced.append
    runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, g.pristine, None, None, g.note)
    found: list = []
    try:
        sys.stdout, sys.stderr, sys.breakpointhook = hook, hook, hook
        sys.meta_path.insert(0, hook)
        sys.meta_path.append(library_finder)  # a library's finder: kept, and part of the pristine list from now on
        sys.path_hooks.remove(sys.path_hooks[0])  # a pristine hook taken away: put back
        sys.path.insert(0, "/elsewhere")
        runtime.restore(found)
        restored = (sys.stdout, sys.stderr, sys.breakpointhook, list(sys.meta_path), list(sys.path), list(sys.path_hooks))
    finally:
        sys.stdout, sys.stderr, sys.breakpointhook = saved[:3]
        sys.meta_path[:], sys.path[:], sys.path_hooks[:] = saved[3:]
    assert restored == saved[:3] + (saved[3] + [library_finder], saved[4], saved[5])
    assert sorted(found) == sorted(["replaced sys.stdout", "replaced sys.stderr", "replaced sys.breakpointhook",
                                    "changed sys.meta_path (import hooks)", "changed sys.path_hooks (import hooks)",
                                    "left a trace function (sys.settrace)", "left a profile function (sys.setprofile)",
                                    "left a thread trace/profile hook"])
    assert traced == [None] * 4
    # A library that reorders or adds a finder is not the notebook: nothing to report.
    trace = profile = None
    g.t.threading._profile_hook = None
    again: list = []
    try:
        sys.meta_path[:] = [library_finder] + [f for f in sys.meta_path if f is not library_finder]
        runtime.restore(again)
    finally:
        sys.meta_path[:] = saved[3]
    assert again == [] and first is saved[3][0]


def test_signals_timers_and_warning_filters_are_put_back_from_the_main_thread_only(g: Guard) -> None:
    timers: dict = {}
    g.t.getitimer = lambda which: timers.get(which, (0.0, 0.0))
    g.t.setitimer = lambda which, seconds: timers.__setitem__(which, (float(seconds), 0.0))
    runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, g.pristine, None, None, g.note)
    handler, filters = signal.getsignal(signal.SIGUSR2), list(warnings.filters)
    mine = student_function("def on_signal(*a):\n    pass\n", "on_signal")
    found: list = []
    try:
        signal.signal(signal.SIGUSR2, mine)
        warnings.simplefilter("error")
        timers[signal.ITIMER_REAL] = (5.0, 0.0)
        in_thread: list = []
        worker = threading.Thread(target=runtime.restore, args=(in_thread,))
        worker.start()
        worker.join()
        assert signal.getsignal(signal.SIGUSR2) is mine and in_thread == [], "signals belong to the main thread"
        runtime.restore(found)
        after = (signal.getsignal(signal.SIGUSR2), list(warnings.filters), timers[signal.ITIMER_REAL])
    finally:
        signal.signal(signal.SIGUSR2, handler)
        warnings.filters[:] = filters
    assert after == (handler, filters, (0.0, 0.0))
    assert found == [f"changed the handler of signal {signal.SIGUSR2}", "left a timer running (signal.setitimer/alarm)"]


def test_ipythons_own_changes_are_kept_and_what_a_library_removed_is_put_back(t: types.SimpleNamespace, pipe: Any) -> None:
    first, second = (lambda lines: lines), (lambda lines: lines)
    shell = fake_shell()
    shell.input_transformers_post[:] = [first, second]
    built = Guard(t, pipe[1], shell=shell)
    try:
        shell.input_transformers_post.remove(first)
        shell.ast_transformers.append(second)  # a library's: kept
        shell.custom_exceptions = ()  # a new attribute that is no method: kept
        found: list = []
        built.runtime.restore(found)
    finally:
        built.close()
    assert shell.input_transformers_post == [second, first] and shell.ast_transformers == [second]
    assert found == ["changed IPython's input_transformers_post"] and shell.custom_exceptions == ()


def test_the_learner_reads_why_looking_at_frames_was_refused(g: Guard) -> None:
    with pytest.raises(PermissionError) as outside:
        g.fire("sys._getframe", 1, caller=frame(STUDENT))
    g.state["in_test"] = True
    with pytest.raises(PermissionError) as inside:
        g.fire("object.__getattr__", object(), "tb_frame", caller=frame(STUDENT))
    assert str(outside.value) == ("Looking at stack frames is not allowed while the notebook is graded "
                                  "(the grader refused it)")
    assert str(inside.value) == ("Looking at stack frames during a test is not allowed while the notebook is graded "
                                 "(the grader refused it)")
    assert g.fire("exec", caller=frame(STUDENT)) is None, "an exec event without a code object is nothing to judge"


def test_events_a_notebook_raises_itself_with_odd_arguments_are_judged_without_crashing(g: Guard) -> None:
    for event in ("exec", "open", "compile", "object.__setattr__", "object.__getattr__"):
        g.fire(event, caller=frame(STUDENT))  # sys.audit(event) with no arguments
    g.fire("object.__setattr__", g.module.Probe, caller=frame(STUDENT))
    g.fire("open", "helper.py", caller=frame(STUDENT))
    g.fire("open", "helper2.py", "w", caller=frame(STUDENT))
    g.fire("open", "/home/learner/mem", "r", 0, caller=frame(STUDENT))
    g.fire("open", "/proc/self/maps", "r", 0, caller=frame(STUDENT))
    g.fire("os.system", caller=frame(STUDENT))
    g.fire("os.kill", caller=frame(STUDENT))
    g.fire("compile", "x = 1", caller=frame(STUDENT))  # a source and no file name
    g.fire("compile", "x = 1", b"/real.py", caller=frame(STUDENT))  # a file name that is not a str: none
    with pytest.raises(PermissionError) as err:
        g.fire("open", b"/proc/\xff/mem", "rb", 0, caller=frame(STUDENT))
    assert str(err.value) == ("Opening /proc/\ufffd/mem is not allowed while the notebook is graded "
                              "(the grader refused it)")
    assert g.pending() == [f"!patched a protected class: {MODULE}.Probe.", "opened a code file: helper.py (r)",
                           "opened a code file: helper2.py (w)", "started a process: os.system",
                           "sent a signal: os.kill", "!compiled code at run time (exec/eval/compile): <string>",
                           "!opened the process's memory: /proc/\ufffd/mem"]


@pytest.mark.parametrize("event,args,message", [
    ("sys._current_frames", (), "sys._current_frames()"), ("ctypes.dlopen", ("libc.so.6",), "ctypes"),
    ("code.__new__", (), "Building code objects"), ("compile", ("x = 1", "/real.py"), "Compiling code under a real file's name"),
    ("sys.addaudithook", (), "sys.addaudithook"),
])
def test_the_learner_reads_what_was_refused(g: Guard, event: str, args: tuple, message: str) -> None:
    with pytest.raises(PermissionError) as err:
        g.fire(event, *args, caller=frame(STUDENT))
    assert str(err.value) == f"{message} is not allowed while the notebook is graded (the grader refused it)"
    g.state["in_test"] = True
    with pytest.raises(PermissionError) as err:
        g.fire("compile", "x = 1", "<string>", caller=frame(STUDENT))
    assert str(err.value) == "exec/eval/compile is not allowed while the notebook is graded (the grader refused it)"


def test_install_protects_the_modules_named_in_the_guard(t: types.SimpleNamespace) -> None:
    import course.checks

    t.modules = {"json": json, "course.checks": course.checks}
    state = guard.new_state()
    snapshots = guard.make_snapshots(t, state, guard.make_origin(t), None)
    snapshots.protected_modules()
    assert set(state["modules"]) == {"json", "course.checks"}
    assert "_default_encoder" not in state["modules"]["json"][1] and "dumps" in state["modules"]["json"][1]
    assert set(state["modules"]["course.checks"][1]) == set(vars(course.checks)), "the course's: every name"
    assert any(label.startswith("course.checks.") for _cls, label, _snap in state["types"].values())
    snapshots.type(int, "int")  # an immutable built-in type: nothing to protect
    assert id(int) not in state["types"]


def test_real_trace_functions_and_timers_are_removed_and_a_silenced_warning_shows_again(g: Guard) -> None:
    runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, g.pristine, None, None, g.note)
    tracer = student_function("def tracer(*a):\n    return None\n", "tracer")
    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    found: list = []
    try:
        sys.settrace(tracer)
        sys.setprofile(tracer)
        threading.settrace(tracer)
        signal.setitimer(signal.ITIMER_REAL, 100)
        runtime.restore(found)
        after = (sys.gettrace(), sys.getprofile(), getattr(threading, "_trace_hook", None),
                 signal.getitimer(signal.ITIMER_REAL))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        threading.settrace(None)
        sys.settrace(old_trace)
        sys.setprofile(old_profile)
    assert after == (None, None, None, (0.0, 0.0))
    assert sorted(found) == sorted(["left a trace function (sys.settrace)", "left a profile function (sys.setprofile)",
                                    "left a thread trace/profile hook", "left a timer running (signal.setitimer/alarm)"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pristine = guard.capture_pristine(g.t, None, None)
        runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, pristine, None, None, g.note)
        warnings.simplefilter("default")  # the notebook's: each warning once

        def emit() -> None:
            warnings.warn("careful", UserWarning, stacklevel=1)

        emit()
        runtime.restore([])
        emit()
    assert len(caught) == 2, "with the filters put back, the warning is shown again"


def test_only_the_notebooks_threads_and_imports_from_outside_the_roots_count(g: Guard) -> None:
    release = threading.Event()
    ns: dict = {"__name__": "__main__", "threading": threading}
    exec(compile("class Worker(threading.Thread):\n    def run(self):\n        self.e.wait(5)\n",  # noqa: S102
                 STUDENT, "exec"), ns)
    lib_spin = threading.Thread(target=release.wait, args=(5,))  # a library's thread (Event.wait)
    worker = ns["Worker"]()
    worker.e = release
    for name, path in (("builtin_like_unit", None), ("lib_module_unit", "/lib/python3/lib_module_unit.py")):
        sys.modules[name] = mod = types.ModuleType(name)
        if path:
            mod.__file__ = path
    try:
        lib_spin.start()
        worker.start()
        g.runtime.restore([])
        worker.name = "renamed"
        g.runtime.restore([])
    finally:
        release.set()
        worker.join()
        lib_spin.join()
        del sys.modules["builtin_like_unit"], sys.modules["lib_module_unit"]
    assert len(g.state["untrusted"]) == 1 and "keeps running the notebook's code" in g.state["untrusted"][0]
    assert g.pending() == [], "a module without a file, or under the roots, is not the working folder's"


def test_without_a_key_in_the_environment_no_file_is_taken_for_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key comes only from the file the grader names: not from a file of the working folder."""

    def any_file_exists(path: str, mode: str = "r") -> Any:  # a folder where any file name can be read
        if not path:
            raise FileNotFoundError(path)
        return io.BytesIO(b"a planted key")

    monkeypatch.setattr(guard, "open", any_file_exists, raising=False)
    monkeypatch.setattr(os, "unlink", lambda path: None)
    monkeypatch.delenv(protocol.KEY_FILE_ENV, raising=False)
    assert guard.read_secret() is None


class KernelShell:
    """IPython's shell as the notebook could patch it: a class of its own, lists and a namespace."""

    def __init__(self) -> None:
        self.input_transformers_cleanup: list = []
        self.input_transformers_post: list = []
        self.ast_transformers: list = []
        self.events = types.SimpleNamespace(callbacks={})
        self.user_ns: dict = {}

    def run_cell(self, raw_cell: str) -> str:
        return "ran"


def test_build_guards_ipythons_class_and_lists_notes_imports_and_refuses_frames(
        t: types.SimpleNamespace, pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shell, run_cell = KernelShell(), KernelShell.run_cell
    earlier = types.ModuleType("loaded_before_the_guard_unit")  # imported before the guard started: not the notebook's
    earlier.__file__ = HERE + "loaded_before_the_guard_unit.py"
    w = Whole(t, pipe, monkeypatch, shell=shell, modules={earlier.__name__: earlier})
    helper = types.ModuleType("solution_helper_unit")
    helper.__file__ = HERE + "solution_helper_unit.py"
    try:
        KernelShell.run_cell = student_function("def run_cell(self, raw_cell):\n    return 'skipped'\n", "run_cell")
        shell.input_transformers_cleanup.append(student_function("def transform(lines):\n    return []\n", "transform"))
        t.modules["solution_helper_unit"] = helper  # the notebook imports a module it wrote
        with pytest.raises(PermissionError, match="Looking at stack frames"):  # the notebook's own call, via the hook
            exec(compile("hook('sys._getframe', (1,))", STUDENT, "exec"), {"hook": w.hook})  # noqa: S102
        w.send("n1", "check", "")
        after = (shell.run_cell("x = 1"), list(shell.input_transformers_cleanup))
    finally:
        KernelShell.run_cell = run_cell
    check, = w.answers()
    assert after == ("ran", [])
    assert sorted(check["restored"]) == ["changed IPython KernelShell.run_cell", "changed IPython's input_transformers_cleanup"]
    assert check["events"] == ["!looked at stack frames: sys._getframe",
                               f"imported code from the working folder: solution_helper_unit ({HERE}solution_helper_unit.py)"]


def test_without_ipython_the_cells_run_in_main(t: types.SimpleNamespace, pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    w = Whole(t, pipe, monkeypatch, ipython=False)
    w.send("n1", "locked", "factor = 2\nfactor * 21")
    assert w.main.factor == 2 and w.shown == [42]
    w.main.factor = 3  # the notebook rebinds it
    w.send("n2", "test", "assert factor == 2, factor\nresult = factor * 5")
    assert w.main.result == 10
    assert [(a["action"], a["ok"]) for a in w.answers()] == [("locked", True), ("test", True)]


def test_while_the_guard_restores_its_own_events_are_not_judged(t: types.SimpleNamespace) -> None:
    state, judged = guard.new_state(), []
    hook = guard.make_hook(t, state, {"open": lambda event, args, caller: judged.append(args[0])}, judged.append)

    def restore_objects(found: list) -> None:
        hook("open", ("restoring objects",))  # e.g. type.__setattr__ on a protected class
        found.append("changed torch.equal")

    def restore_runtime(found: list) -> None:
        hook("open", ("restoring the runtime",))
        found.append("replaced sys.displayhook")

    def failing(found: list) -> None:
        raise RuntimeError("broken")

    found: list = []
    guard.make_restore(state, restore_objects, restore_runtime)(found)
    hook("open", ("the notebook's",))
    assert found == ["changed torch.equal", "replaced sys.displayhook"] and judged == ["the notebook's"]
    with pytest.raises(RuntimeError):
        guard.make_restore(state, failing, restore_runtime)(found)
    hook("open", ("the notebook's, after a failure",))
    assert judged == ["the notebook's", "the notebook's, after a failure"], "the hook is back even then"


def test_a_library_may_update_its_own_closure_but_not_its_code(g: Guard) -> None:
    lib = types.ModuleType("fakelib_closure_unit")
    exec(compile("def _make():\n    calls = 0\n    def counted():\n        nonlocal calls\n"  # noqa: S102
                 "        calls += 1\n        return calls\n    return counted\ncounted = _make()\n",
                 LIBRARY, "exec"), lib.__dict__)
    g.t.modules = {"fakelib_closure_unit": lib}
    g.t.PROTECTED_MODULES, g.t.FULLY_PROTECTED, g.t.TYPE_MODULES = ("fakelib_closure_unit",), (), ()
    state = guard.new_state()
    snapshots = guard.make_snapshots(g.t, state, g.origin, None)
    snapshots.protected_modules()
    restore_objects = guard.make_object_restorer(g.t, state, g.origin, snapshots.is_code_attr)
    assert lib.counted() == 1
    found: list = []
    restore_objects(found)
    assert found == [] and lib.counted() == 2, "the library's own counter is its business"
    lib.counted.__defaults__ = (1,)
    restore_objects(found)
    assert found == ["rewrote fakelib_closure_unit.counted.__defaults__"] and lib.counted.__defaults__ is None


def test_a_class_a_module_imported_later_also_exports_keeps_its_first_snapshot(g: Guard) -> None:
    later_name = MODULE + "_later"
    g.t.modules = {MODULE: g.module}
    g.t.PROTECTED_MODULES = g.t.TYPE_MODULES = (MODULE, later_name)
    g.t.FULLY_PROTECTED = ()
    state = guard.new_state()
    snapshots = guard.make_snapshots(g.t, state, g.origin, None)
    snapshots.protected_modules()
    probe, measure = g.module.Probe, g.module.Probe.measure
    probe.measure = student_function("def measure(self):\n    return 2\n", "measure")  # the notebook patches it,
    later = types.ModuleType(later_name)
    later.Probe = probe  # then a locked cell imports a module that exports the class too
    g.t.modules[later_name] = later
    snapshots.protected_modules()
    found: list = []
    guard.make_object_restorer(g.t, state, g.origin, snapshots.is_code_attr)(found)
    assert probe.measure is measure and found == [f"changed {MODULE}.Probe.measure"]


def test_a_protected_classs_plain_methods_are_protected_too(g: Guard) -> None:
    measure = g.module.Probe.measure
    code = measure.__code__
    with pytest.raises(PermissionError, match="Changing __code__ of a function"):
        g.fire("object.__setattr__", measure, "__code__", None, caller=frame(STUDENT))
    measure.__code__ = (lambda self: 2).__code__
    found: list = []
    g.restore_objects(found)
    assert found == [f"rewrote {MODULE}.Probe.measure.__code__"] and measure.__code__ is code
    assert g.module.Probe().measure() == 1


def test_a_keyword_default_of_none_swapped_for_another_is_put_back(g: Guard) -> None:
    kw = g.module.fit.__kwdefaults__
    del kw["seed"]  # in place, no audit event: still one keyword default, under another name
    kw["steps"] = 10
    found: list = []
    g.restore_objects(found)
    assert g.module.fit.__kwdefaults__ == {"seed": None} and found == [f"rewrote {MODULE}.fit.__kwdefaults__"]


def test_import_hooks_replaced_one_for_one_or_added_last_are_found(g: Guard) -> None:
    finder, path_hook = object(), object()  # the installation's
    mine = student_function("def find_spec(*a):\n    return None\n", "find_spec")
    g.t.sys = fake_sys = types.SimpleNamespace(displayhook=None, breakpointhook=None, stdout=None, stderr=None,
                                               meta_path=[finder], path_hooks=[path_hook], path=[])
    runtime = guard.make_runtime_restorer(g.t, g.state, g.origin, guard.capture_pristine(g.t, None, None), None, None,
                                          g.note)
    fake_sys.meta_path[:] = [mine]  # as many finders as before, none of them the installation's
    fake_sys.path_hooks.append(mine)  # one more, last
    found: list = []
    runtime.restore(found)
    assert (fake_sys.meta_path, fake_sys.path_hooks) == ([finder], [path_hook])
    assert sorted(found) == ["changed sys.meta_path (import hooks)", "changed sys.path_hooks (import hooks)"]


def test_a_transformer_the_notebook_adds_is_removed_and_an_untouched_list_is_not_reported(
        t: types.SimpleNamespace, pipe: Any) -> None:
    ours, post = (lambda lines: lines), (lambda lines: lines)
    shell = fake_shell()
    shell.input_transformers_cleanup.append(ours)
    shell.input_transformers_post.append(post)
    built = Guard(t, pipe[1], shell=shell)
    try:
        shell.input_transformers_post.append(student_function("def transform(lines):\n    return []\n", "transform"))
        found: list = []
        built.runtime.restore(found)
    finally:
        built.close()
    assert (shell.input_transformers_cleanup, shell.input_transformers_post) == ([ours], [post])
    assert found == ["changed IPython's input_transformers_post"]


def test_a_notebooks_thread_is_judged_by_its_class_once_its_target_has_run(g: Guard) -> None:
    ready, stop = threading.Event(), threading.Event()
    ns: dict = {"__name__": "__main__", "threading": threading}
    exec(compile("class Worker(threading.Thread):\n    def run(self):\n        super().run()\n"  # noqa: S102
                 "        self.ready.set()\n        self.stop.wait(5)\n", STUDENT, "exec"), ns)
    worker = ns["Worker"](target=len, args=((),))  # Thread.run deletes _target once it has called it
    worker.ready, worker.stop = ready, stop
    worker.start()
    try:
        assert ready.wait(5)
        g.runtime.restore([])
    finally:
        stop.set()
        worker.join()
    assert g.state["untrusted"] == [f"started a background thread ({worker.name}) that keeps running the notebook's code"]
