"""A bank of broken and hostile submissions, and what grading must make of each.

Most cases are variations of a tiny assignment (``90_tiny``: four exercises, 6 points, hidden
tests on every device) so the whole bank grades in a few minutes; ``91_other`` is a second
tiny assignment whose notebook is handed in by mistake. ``tests/grading/test_hostile.py``
builds a scratch course, submits every case, grades them in one batch with ``course
autograde`` (and a few through plain ``nbgrader autograde``) and checks, per case, the score,
the flag, the feedback and that nothing leaked.

Each case is ``Case(name, make, expect_score, flagged, ...)``: ``make(release, source, folder)``
writes the submission into ``folder`` (``release``/``source`` are the student's and the
instructor's notebooks as nbformat objects, to copy and change).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

TINY = "90_tiny"
OTHER = "91_other"
POINTS = {"test_double": 2.0, "test_halve": 1.0, "test_scale": 2.0, "test_as_array": 1.0}
FULL = sum(POINTS.values())

# The tiny assignment. Hidden parts carry unique marker strings (HIDDEN-MARK-n) so the tests
# can prove that no feedback shows them.
SPEC = """\
# %% [markdown] id="title"
# A tiny assignment for the grading tests
# %% id="setup"
import numpy as np
import torch

from course import devices
from course.checks import check_close
# %% id="double" nbgrader="solution"
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
# %% id="test_double" nbgrader="tests" points=2
from course.checks import check_close

check_close(double(torch.ones(2)), torch.full((2,), 2.0), name="double(torch.ones(2))")
### BEGIN HIDDEN TESTS
# HIDDEN-MARK-1
for dev in devices():
    x = torch.randn(5, generator=torch.Generator().manual_seed(4242)).to(dev)
    got = double(x.clone())
    check_close(got, x + x, name=f"double(x) for x of shape (5,) on {dev}")
### END HIDDEN TESTS
# %% id="halve" nbgrader="solution"
def halve(x):
    ### BEGIN SOLUTION
    return x / 2
    ### END SOLUTION
# %% id="test_halve" nbgrader="tests" points=1
from course.checks import check_close

check_close(halve(torch.full((2,), 4.0)), torch.full((2,), 2.0), name="halve(torch.full((2,), 4.0))")
### BEGIN HIDDEN TESTS
# HIDDEN-MARK-2
for dev in devices():
    check_close(halve(torch.arange(6.0, device=dev)), torch.arange(6.0, device=dev) * 0.5, name=f"halve on {dev}")
### END HIDDEN TESTS
# %% id="scale" nbgrader="solution"
def scale(x, k):
    ### BEGIN SOLUTION
    return x * k
    ### END SOLUTION
# %% id="test_scale" nbgrader="tests" points=2
from course.checks import check_close

check_close(scale(torch.ones(3), 3.0), torch.full((3,), 3.0), name="scale(torch.ones(3), 3.0)")
### BEGIN HIDDEN TESTS
# HIDDEN-MARK-3
for dev in devices():
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(777)).to(dev)
    expected = x * 2.5        # computed BEFORE the call on purpose: bait for frame snooping
    check_close(scale(x, 2.5), expected, name=f"scale(x, 2.5) for x of shape (4, 3) on {dev}")
### END HIDDEN TESTS
# %% id="as_array" nbgrader="solution"
def as_array(t):
    ### BEGIN SOLUTION
    return t.detach().cpu().numpy()
    ### END SOLUTION
# %% id="test_as_array" nbgrader="tests" points=1
import numpy as np

np.testing.assert_allclose(as_array(torch.ones(2)), np.ones(2))
### BEGIN HIDDEN TESTS
# HIDDEN-MARK-4
_t = torch.randn(3, 2, generator=torch.Generator().manual_seed(31))
_a = as_array(_t)
assert type(_a) is np.ndarray, "as_array should return a numpy.ndarray"
np.testing.assert_allclose(_a, _t.numpy().copy(), rtol=1e-6)
### END HIDDEN TESTS
"""

OTHER_SPEC = """\
# %% [markdown] id="other_title"
# Another assignment
# %% id="other_setup"
import torch
# %% id="triple" nbgrader="solution"
def triple(x):
    ### BEGIN SOLUTION
    return 3 * x
    ### END SOLUTION
# %% id="test_triple" nbgrader="tests" points=3
assert torch.equal(triple(torch.ones(2)), torch.full((2,), 3.0))
"""

HIDDEN_MARKS = ["HIDDEN-MARK-1", "HIDDEN-MARK-2", "HIDDEN-MARK-3", "HIDDEN-MARK-4", "manual_seed(4242)", "x * 2.5"]

Make = Callable[[nbformat.NotebookNode, nbformat.NotebookNode, Path], None]


@dataclass
class Case:
    name: str
    make: Make
    lost: tuple[str, ...] | None  # test cells that must score 0 (None: score not checked)
    flagged: bool | None  # None: either is fine
    about: str  # what it tries, in a few words
    expect: str  # what grading must do, in a few words
    feedback: tuple[str, ...] = ()  # words the learner's feedback must contain
    flag_words: tuple[str, ...] = ()  # words one of the flags must contain
    plain: bool = False  # also graded through plain `nbgrader autograde`
    output_absent: tuple[str, ...] = ()  # text that must not appear in the autograded notebook
    sandbox_only: bool = False  # needs the sandbox (skipped unsandboxed)

    @property
    def score(self) -> float | None:
        if self.lost is None:
            return None
        return FULL - sum(POINTS[c] for c in self.lost)


# --- helpers to write submissions ------------------------------------------------------------------

def _solved(source: nbformat.NotebookNode, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release with every solution filled in from the source (a correct, clean submission)."""
    sol = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sol:
            c.source = sol[gid]
    return nb


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _write(nb: nbformat.NotebookNode, folder: Path, name: str = f"{TINY}.ipynb") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / name))


def _with_solutions(**sources: str) -> Make:
    """A submission whose solution cells hold these sources (the others: the reference)."""
    def make(release, source, folder):
        nb = _solved(source, release)
        for gid, src in sources.items():
            _cell(nb, gid).source = src
        _write(nb, folder)
    return make


def _with_extra_cell(code: str, after: str = "double", solutions: dict[str, str] | None = None) -> Make:
    """A correct submission plus one cell of the learner's own after ``after``."""
    def make(release, source, folder):
        nb = _solved(source, release)
        for gid, src in (solutions or {}).items():
            _cell(nb, gid).source = src
        nb.cells.insert(_index(nb, after) + 1, nbformat.v4.new_code_cell(code))
        _write(nb, folder)
    return make


WRONG = {  # plausible wrong answers: a cheat must not turn these into points
    "double": "def double(x):\n    return x + 1",
    "halve": "def halve(x):\n    return x",
    "scale": "def scale(x, k):\n    return x",
    "as_array": "def as_array(t):\n    return [0.0]",
}
ALL_TESTS = tuple(POINTS)


def _reference(release, source, folder):
    _write(_solved(source, release), folder)


def _untouched(release, source, folder):
    _write(release, folder)


def _delete(*grade_ids: str) -> Make:
    def make(release, source, folder):
        nb = _solved(source, release)
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in grade_ids]
        _write(nb, folder)
    return make


def _edit_test(release, source, folder):
    nb = _solved(source, release)
    _cell(nb, "double").source = WRONG["double"]
    t = _cell(nb, "test_double")
    t.source = "pass  # nothing to see here"
    t.metadata["editable"] = True
    t.metadata["nbgrader"]["locked"] = False
    t.metadata["nbgrader"]["points"] = 50
    _write(nb, folder)


def _retag_test(release, source, folder):
    """A test cell relabelled as a solution cell (so nbgrader would not run it as a test)."""
    nb = _solved(source, release)
    _cell(nb, "double").source = WRONG["double"]
    t = _cell(nb, "test_double")
    t.metadata["nbgrader"].update(solution=True, grade=False, locked=False)
    _write(nb, folder)


def _reorder(release, source, folder):
    nb = _solved(source, release)
    test = nb.cells.pop(_index(nb, "test_halve"))
    nb.cells.insert(_index(nb, "halve"), test)  # the test before the function it tests
    _write(nb, folder)


def _duplicate(release, source, folder):
    nb = _solved(source, release)
    i = _index(nb, "test_double")
    nb.cells.insert(i, copy.deepcopy(nb.cells[i]))
    nb.cells[i]["id"] = "dup-test-double"
    _write(nb, folder)


def _renamed(release, source, folder):
    _write(_solved(source, release), folder, name=f"{TINY}-Copy1.ipynb")


def _missing(release, source, folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("I could not finish, sorry\n")


def _invalid_json(release, source, folder):
    folder.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(_solved(source, release))
    (folder / f"{TINY}.ipynb").write_text(text[: len(text) // 2])  # cut mid-file, as an interrupted upload leaves it


def _other_assignment(other_release: nbformat.NotebookNode) -> Make:
    def make(release, source, folder):
        _write(other_release, folder)  # the 91_other notebook under 90_tiny's name
    return make


def _shadow_files(release, source, folder):
    _write(_solved(source, release), folder)
    (folder / "torch.py").write_text("raise SystemExit('the real torch was replaced')\n")
    (folder / "course").mkdir()
    (folder / "course" / "__init__.py").write_text("def devices():\n    return []\n")
    (folder / "course" / "checks.py").write_text("def check_close(*a, **k):\n    pass\n")
    (folder / "sitecustomize.py").write_text("import builtins\nbuiltins.PWNED = True\n")
    (folder / "evil.pth").write_text("import os; os.environ['PWNED'] = '1'\n")
    (folder / "ipykernel_launcher.py").write_text("raise SystemExit('hijacked the kernel')\n")


ESCAPE = r'''
import os, socket
here = os.getcwd()
root = os.path.dirname(os.path.dirname(os.path.dirname(here)))   # the course root, seen from autograded/<s>/<a>
report = []
def attempt(what, fn):
    try:
        leaked = fn()
    except Exception:
        leaked = False
    report.append(("LEAKED:" if leaked else "blocked:") + what)
def others():
    return [d for d in os.listdir(os.path.join(root, "autograded")) if d != "sandbox_escape"]
attempt("read-source", lambda: bool(open(os.path.join(root, "source", "90_tiny", "90_tiny.ipynb")).read()))
attempt("read-gradebook", lambda: bool(open(os.path.join(root, "gradebook.db"), "rb").read(16)))
attempt("write-gradebook", lambda: open(os.path.join(root, "gradebook.db"), "ab").write(b"x") > 0)
attempt("read-other-submission", lambda: bool(open(os.path.join(root, "submitted", "bystander", "90_tiny", "90_tiny.ipynb")).read()))
attempt("write-other-student", lambda: open(os.path.join(root, "autograded", "bystander", "90_tiny", "pwned.txt"), "w").write("x") > 0)
attempt("list-other-students", lambda: bool(others()))
attempt("read-own-notebook", lambda: bool(open(os.path.join(here, "90_tiny.ipynb")).read(10)))
attempt("write-course-package", lambda: open(os.path.join(os.path.dirname(__import__("course").__file__), "pwned.py"), "w").write("x") > 0)
attempt("network", lambda: bool(socket.create_connection(("1.1.1.1", 80), timeout=2)))
attempt("read-secrets", lambda: bool(open("/etc/shadow").read(1)))
attempt("read-home", lambda: bool(open(os.path.expanduser("~root/.bashrc")).read(1)))
attempt("db-password", lambda: "COURSE_DB_URL" in os.environ)
os.symlink(os.path.join(root, "gradebook.db"), "evil-link")   # a trap for the grader's later steps
print(" ".join(report))
'''

THREAD = r'''
import threading, time
import course.checks
def keep_patching():
    while True:
        course.checks.check_close = lambda *a, **k: None
        time.sleep(0.001)
threading.Thread(target=keep_patching, daemon=True).start()
'''

FRAME_SNOOP = r'''
def scale(x, k):
    import sys
    return sys._getframe(1).f_locals["expected"].clone()
'''

INSPECT_SNOOP = r'''
def scale(x, k):
    import inspect
    for info in inspect.stack():
        if "expected" in info.frame.f_globals:
            return info.frame.f_globals["expected"].clone()
    return x
'''

TRACEBACK_SNOOP = r'''
def scale(x, k):
    try:
        raise RuntimeError
    except RuntimeError as err:
        frame = err.__traceback__.tb_frame.f_back
    return frame.f_globals["expected"].clone()
'''

GLOBALS_SNOOP = r'''
def scale(x, k):
    return globals()["expected"].clone()
'''

TORCH_PATCH = "import torch\ntorch.equal = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True\ntorch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)"
CHECKS_PATCH = (
    "import course.checks\n"
    "course.checks.check_close = lambda *a, **k: None\n"
    "course.checks._fail = lambda *a, **k: None\n"
    "check_close = lambda *a, **k: None"
)
BUILTINS_PATCH = (
    "import builtins\n"
    "_real_import = builtins.__import__\n"
    "class _Fake:\n"
    "    check_close = staticmethod(lambda *a, **k: None)\n"
    "def _import(name, *args, **kw):\n"
    "    return _Fake() if name == 'course.checks' else _real_import(name, *args, **kw)\n"
    "builtins.__import__ = _import\n"
    "builtins.all = lambda *a: True\n"
    "builtins.AssertionError = type('AssertionError', (Exception,), {})"
)
NUMPY_PATCH = "import numpy as np\nnp.testing.assert_allclose = lambda *a, **k: None\nnp.allclose = lambda *a, **k: True"
TENSOR_PATCH = (
    "import torch\n"
    "torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)\n"
    "torch.Tensor.all = lambda self, *a, **k: torch.tensor(True)\n"
    "torch.Tensor.to = lambda self, *a, **k: self\n"
    "torch.Tensor.item = lambda self: True"
)
SYSMODULES_PATCH = (
    "import sys, types\n"
    "fake = types.ModuleType('course.checks')\n"
    "fake.check_close = lambda *a, **k: None\n"
    "sys.modules['course.checks'] = fake"
)
DEVICES_PATCH = "import course\ncourse.devices = lambda: []\ndevices = lambda: []"
MODE_PATCH = (
    "import torch\n"
    "from torch.overrides import TorchFunctionMode\n"
    "class Yes(TorchFunctionMode):\n"
    "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
    "        if func is torch.isclose:\n"
    "            return torch.ones(args[0].shape, dtype=torch.bool)\n"
    "        return func(*args, **(kwargs or {}))\n"
    "Yes().__enter__()"
)
TRANSFORMER_PATCH = "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"
AST_PATCH = (
    "import ast\n"
    "class NoAsserts(ast.NodeTransformer):\n"
    "    def visit_Call(self, node):\n"
    "        return ast.Constant(None) if getattr(node.func, 'id', '').startswith('check') else node\n"
    "get_ipython().ast_transformers.append(NoAsserts())"
)
DISPLAY_SCORE = "def double(x):\n    import sys\n    sys.displayhook(2.0)\n    return x + 1"
EXEC_SOURCE = (
    "import os\n"
    "root = os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd())))\n"
    "ns = {}\n"
    "try:\n"
    "    exec(open(os.path.join(root, 'source', '90_tiny', '90_tiny.ipynb')).read(), ns)\n"
    "except Exception as err:\n"
    "    print('no luck:', type(err).__name__)"
)
EXEC_WRITTEN = (
    "with open('helper.py', 'w') as f:\n"
    "    f.write('def double(x):\\n    return 2 * x\\n')\n"
    "exec(open('helper.py').read())"
)
# What the course's checks capture: their tools live in closure cells, their options in defaults.
CLOSURE_CELL = (
    "from course.checks import check_close\n"
    "cell = check_close.__closure__[check_close.__code__.co_freevars.index('_fail')]\n"
    "cell.cell_contents = lambda *a, **k: None  # every check's failure silenced"
)
CLOSURE_IN_TEST = (
    "def double(x):\n"
    "    from course.checks import check_close\n"
    "    cell = check_close.__closure__[check_close.__code__.co_freevars.index('_torch_isclose')]\n"
    "    cell.cell_contents = lambda a, b, **k: a == a\n"
    "    return x + 1"
)
KWDEFAULTS_INPLACE = "from course.checks import check_close\ncheck_close.__kwdefaults__.update(rtol=1e9, atol=1e9)"
KWDEFAULTS_ASSIGN = (
    "from course.checks import check_close\n"
    "check_close.__kwdefaults__ = {'rtol': 1e9, 'atol': 1e9, 'name': 'x', 'check_dtype': False, 'check_device': False}"
)
CODE_SWAP = (
    "import functools\n"
    "from course import device\n"
    "try:\n"
    "    device.devices.__code__ = (lambda: []).__code__\n"
    "except PermissionError:\n"
    "    functools.update_wrapper(device.devices, lambda: [], assigned=('__code__',), updated=())"
)
SIGINT_LOOP_IN_FUNCTION = (
    "def halve(x):\n"
    "    import signal\n"
    "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "    while True:\n"
    "        pass"
)
GC_SNOOP = "import gc\nchecks = [o for o in gc.get_objects() if callable(o)]"
CTYPES_POKE = "import ctypes\nctypes.string_at(id(1), 8)"
AUDIT_HOOK = "import sys\nsys.addaudithook(lambda e, a: None)"
SETTRACE = "import sys\nsys.settrace(lambda *a: None)"
BIG_OUTPUT = "print('x' * 3_000_000)\nfor i in range(50_000):\n    print(i)"
FORK_BOMB = (
    "import subprocess\n"
    "procs = []\n"
    "for i in range(3000):\n"
    "    procs.append(subprocess.Popen(['sleep', '60']))"
)


def cases(other_release: nbformat.NotebookNode | None = None) -> list[Case]:
    wrong = {k: v for k, v in WRONG.items()}
    return [
        Case("reference", _reference, (), False, "the reference solution", "full marks, not flagged", plain=True),
        Case("untouched", _untouched, ALL_TESTS, False, "the release as handed out", "0, not flagged"),
        # cheats -----------------------------------------------------------------------------------
        Case("patch_torch", _with_extra_cell(TORCH_PATCH, solutions=wrong), ALL_TESTS, True,
             "torch.equal/allclose/isclose replaced by always-true lambdas (wrong solutions)", "0, flagged",
             flag_words=("torch.equal",), plain=True),
        Case("patch_checks", _with_extra_cell(CHECKS_PATCH, solutions=wrong), ALL_TESTS, True,
             "course.checks.check_close and _fail replaced, check_close rebound", "0, flagged", flag_words=("course.checks",)),
        Case("patch_builtins", _with_extra_cell(BUILTINS_PATCH, solutions=wrong), ALL_TESTS, True,
             "builtins.__import__ serves a fake course.checks; all() and AssertionError replaced", "0, flagged",
             flag_words=("builtins",)),
        Case("patch_numpy", _with_extra_cell(NUMPY_PATCH, solutions={"as_array": WRONG["as_array"]}), ("test_as_array",), True,
             "np.testing.assert_allclose and np.allclose made no-ops (as_array wrong)", "test_as_array 0, flagged",
             flag_words=("numpy",)),
        Case("patch_tensor", _with_extra_cell(TENSOR_PATCH, solutions=wrong), ALL_TESTS, True,
             "torch.Tensor.__eq__/all/to/item replaced", "0, flagged", flag_words=("torch.Tensor",)),
        Case("swap_sys_modules", _with_extra_cell(SYSMODULES_PATCH, solutions=wrong), ALL_TESTS, True,
             "sys.modules['course.checks'] replaced by a fake module", "0, flagged", flag_words=("sys.modules",)),
        Case("patch_devices", _with_extra_cell(DEVICES_PATCH, solutions={"double": WRONG["double"]}), ("test_double",), True,
             "course.devices() and the setup's devices rebound to return [] (hidden loops skipped)", "test_double 0, flagged",
             flag_words=("devices",)),
        Case("torch_function_mode", _with_extra_cell(MODE_PATCH, solutions=wrong), ALL_TESTS, True,
             "a TorchFunctionMode left active that makes torch.isclose always true", "0, flagged",
             flag_words=("mode",)),
        Case("ipython_transformer", _with_extra_cell(TRANSFORMER_PATCH, solutions=wrong), ALL_TESTS, True,
             "an IPython input transformer that turns every later cell into `pass`", "0, flagged"),
        Case("ast_transformer", _with_extra_cell(AST_PATCH, solutions=wrong), ALL_TESTS, True,
             "an IPython AST transformer that deletes check_* calls", "0, flagged", flag_words=("ast_transformers",)),
        Case("always_equal", _with_solutions(
            double="class Same:\n    def __eq__(self, other):\n        return True\n    shape = (5,)\ndef double(x):\n    return Same()",
            scale="class T(torch.Tensor):\n    def __eq__(self, other):\n        return torch.ones_like(other, dtype=torch.bool)\ndef scale(x, k):\n    return x.as_subclass(T)"),
            ("test_double", "test_scale"), None, "objects (and a Tensor subclass) whose __eq__ is always true",
            "those tests 0", feedback=("should be a torch.Tensor",)),
        Case("closure_cell", _with_extra_cell(CLOSURE_CELL, solutions=wrong), ALL_TESTS, True,
             "check_close's captured _fail (shared by every check) replaced through its closure cell", "0, flagged",
             flag_words=("closure cell",), plain=True),
        Case("closure_cell_in_test", _with_solutions(double=CLOSURE_IN_TEST), ("test_double",), True,
             "the tested function rewrites check_close's captured isclose while the test runs", "test_double 0, flagged",
             flag_words=("closure cell",)),
        Case("kwdefaults_inplace", _with_extra_cell(KWDEFAULTS_INPLACE, solutions=wrong), ALL_TESTS, True,
             "check_close.__kwdefaults__ loosened in place (no audit event)", "0, flagged", flag_words=("__kwdefaults__",)),
        Case("kwdefaults_assign", _with_extra_cell(KWDEFAULTS_ASSIGN, solutions=wrong), ALL_TESTS, True,
             "check_close.__kwdefaults__ replaced", "refused, 0, flagged", flag_words=("__kwdefaults__",)),
        Case("code_swap", _with_extra_cell(CODE_SWAP, solutions={"double": WRONG["double"]}), ("test_double",), True,
             "devices.__code__ swapped for `lambda: []`, directly and through functools.update_wrapper", "refused, test_double 0, flagged",
             flag_words=("__code__",)),
        Case("frame_snoop", _with_solutions(scale=FRAME_SNOOP), ("test_scale",), True,
             "sys._getframe(1).f_locals['expected'] read from the test's frame", "test_scale 0, flagged",
             flag_words=("stack frames",)),
        Case("inspect_snoop", _with_solutions(scale=INSPECT_SNOOP), ("test_scale",), True,
             "inspect.stack() walked to the test's globals", "test_scale 0, flagged", flag_words=("stack frames",)),
        Case("traceback_snoop", _with_solutions(scale=TRACEBACK_SNOOP), ("test_scale",), True,
             "a traceback's tb_frame.f_back used to reach the test's frame", "test_scale 0, flagged",
             flag_words=("stack frames",)),
        Case("globals_snoop", _with_solutions(scale=GLOBALS_SNOOP), ("test_scale",), None,
             "globals()['expected'] (the test's variables in the notebook's namespace)", "test_scale 0"),
        Case("hidden_names", _with_extra_cell("print('LEAK' if 'expected' in globals() else 'nothing to see')", after="test_scale"),
             (), None, "a cell after a test looks for the hidden test's variables", "they are not there: full marks",
             output_absent=("LEAK",)),
        Case("display_score", _with_solutions(double=DISPLAY_SCORE), ("test_double",), None,
             "the learner's code displays 2.0 during the test (nbgrader reads a displayed number as a partial score)",
             "test_double 0"),
        Case("exec_source", _with_extra_cell(EXEC_SOURCE, solutions=wrong), ALL_TESTS, True,
             "exec() of the instructor's source notebook, found by path", "0 (source/ is not there), flagged",
             flag_words=("outside its folder",)),
        Case("exec_written_file", _with_extra_cell(EXEC_WRITTEN, after="double", solutions={"double": "# see below"}), None, True,
             "a solution written to helper.py at run time and exec'd", "flagged for review", flag_words=("compiled code",)),
        Case("background_thread", _with_extra_cell(THREAD, solutions=wrong), ALL_TESTS, True,
             "a thread that keeps re-patching course.checks while the tests run", "0, flagged", flag_words=("thread",)),
        Case("gc_snoop", _with_extra_cell(GC_SNOOP), (), True, "gc.get_objects() to find the grader's objects",
             "refused, flagged", flag_words=("garbage",)),
        Case("ctypes_poke", _with_extra_cell(CTYPES_POKE), (), True, "ctypes reading raw memory", "refused, flagged",
             flag_words=("ctypes",)),
        Case("audit_hook", _with_extra_cell(AUDIT_HOOK), (), True, "sys.addaudithook (to blind the grader's hook)",
             "refused, flagged", flag_words=("audit hook",)),
        Case("settrace", _with_extra_cell(SETTRACE), (), True, "sys.settrace (to rewrite frames while tests run)",
             "refused, flagged", flag_words=("trace",)),
        Case("sandbox_escape", _with_extra_cell(ESCAPE), (), True,
             "read source/ and the gradebook, write the gradebook and another student's folder, network, a symlink trap",
             "all blocked, full marks for the rest, flagged", output_absent=("LEAKED",), flag_words=("outside its folder",),
             sandbox_only=True),
        Case("shadow_files", _shadow_files, (), True,
             "torch.py, course/, sitecustomize.py, evil.pth, ipykernel_launcher.py next to the notebook",
             "removed before grading, full marks, flagged", flag_words=("torch.py",), plain=True),
        # broken -----------------------------------------------------------------------------------
        Case("infinite_loop_cell", _with_extra_cell("while True:\n    pass"), (), None,
             "a cell that never ends", "that cell times out, the rest is graded: full marks"),
        Case("infinite_loop_in_test", _with_solutions(double="def double(x):\n    while True:\n        pass"), ("test_double",), None,
             "a function that never returns, called by a test", "test_double 0 (timeout), the rest graded",
             feedback=("time limit",)),
        Case("sigint_ignored_loop", _with_extra_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
             (), True, "an endless loop that ignores the interrupt", "kernel replaced, the rest graded: full marks, flagged"),
        Case("sigint_loop_in_test", _with_solutions(halve=SIGINT_LOOP_IN_FUNCTION), ("test_halve",), True,
             "a tested function that ignores the interrupt and loops forever", "test_halve 0 (kernel replaced), the rest graded, flagged",
             feedback=("time limit",)),
        Case("kernel_death_cell", _with_extra_cell("import os\nos._exit(3)"), (), True,
             "os._exit(3) in a cell of its own", "new kernel, cells before replayed, full marks, flagged",
             flag_words=("os._exit",), plain=True),
        Case("kernel_death_in_test", _with_solutions(halve="def halve(x):\n    import os\n    os._exit(0)"), ("test_halve",), True,
             "the kernel exits inside a test", "test_halve 0 with the reason, the rest graded", feedback=("kernel",)),
        Case("segfault", _with_extra_cell("import faulthandler\nfaulthandler._sigsegv()", after="halve"), (), True,
             "a segmentation fault (faulthandler._sigsegv)", "new kernel, the rest graded: full marks, flagged",
             flag_words=("segmentation fault",)),
        Case("memory_bomb", _with_extra_cell("hog = bytearray(64 * 2**30)", after="halve"), (), None,
             "64 GiB in one allocation", "MemoryError in that cell, full marks"),
        Case("memory_bomb_in_test", _with_solutions(scale="def scale(x, k):\n    junk = [np.zeros(2**25) for _ in range(64)]\n    return x * k"),
             ("test_scale",), None, "a tested function allocates 16 GiB, 256 MiB at a time", "MemoryError: test_scale 0, the rest graded",
             feedback=("MemoryError",)),
        Case("fork_bomb", _with_extra_cell(FORK_BOMB, after="halve"), (), None, "3000 child processes",
             "stopped by the process limit, full marks", sandbox_only=True),
        Case("big_output", _with_extra_cell(BIG_OUTPUT), (), None, "3 MB on one line, then 50,000 lines",
             "output cut short, full marks"),
        Case("system_exit", _with_extra_cell("raise SystemExit(3)"), (), None, "SystemExit in a cell", "an error there, full marks"),
        Case("keyboard_interrupt", _with_solutions(halve="def halve(x):\n    raise KeyboardInterrupt"), ("test_halve",), None,
             "KeyboardInterrupt raised inside a tested function", "test_halve 0, the rest graded"),
        Case("syntax_error", _with_solutions(double="def double(x)\n    return 2 * x"), ("test_double",), None,
             "a syntax error in a solution", "test_double 0, the rest graded"),
        Case("deleted_test", _delete("test_double", "test_halve"), (), True, "two graded test cells deleted",
             "put back and run: full marks, flagged", flag_words=("put back",), plain=True),
        Case("deleted_setup", _delete("setup"), (), True, "the locked setup cell deleted", "put back: full marks, flagged"),
        Case("edited_test", _edit_test, ("test_double",), True, "a test cell unlocked, emptied and given 50 points",
             "original test run with its 2 points: test_double 0, flagged", flag_words=("edited",)),
        Case("retagged_test", _retag_test, ("test_double",), None, "a test cell relabelled as a solution cell",
             "still run as a test: test_double 0"),
        Case("reordered", _reorder, ("test_halve",), True, "a test cell moved above the function it tests",
             "run in the submitted order: test_halve 0, flagged", flag_words=("order",)),
        Case("duplicated", _duplicate, (), None, "a graded test cell duplicated", "only one copy counts: full marks"),
        Case("renamed", _renamed, (), True, "the notebook saved as 90_tiny-Copy1.ipynb", "graded in its place, flagged",
             flag_words=("Copy1",), plain=True),
        Case("missing", _missing, ALL_TESTS, True, "no notebook at all, only notes.txt", "0, flagged", flag_words=("no notebook",)),
        Case("invalid_json", _invalid_json, ALL_TESTS, True, "a truncated, invalid JSON file", "0, flagged",
             flag_words=("not a valid notebook",), plain=True),
        Case("other_assignment", _other_assignment(other_release) if other_release is not None else _untouched, ALL_TESTS, True,
             "91_other's notebook handed in as 90_tiny.ipynb", "0, flagged", flag_words=("another assignment",)),
    ]


BYSTANDER = "bystander"  # a correct submission graded first; nobody else's grading may change it
