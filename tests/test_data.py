"""The offline datasets: FashionMNIST look-alike in IDX, the CSV + PNG folder, safe generation."""

from __future__ import annotations

import csv
import gzip
import hashlib
import multiprocessing
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from course import data
from course.paths import DATA_ENV, repo_root

# sha256 of make_fashion_arrays(50, seed=0): images then labels. It pins the generator's
# output on every machine. If you change the drawing on purpose, bump DATA_VERSION (so old
# data folders regenerate) and paste the new hash here.
GOLDEN_SHA256 = "e2a018c053f662a1daf523bc830abd5ea705b70edf311dddce30125c43e77b1b"

RAW_FILES = {
    "train-images-idx3-ubyte": (2051, (data.TRAIN_SIZE, 28, 28)),
    "train-labels-idx1-ubyte": (2049, (data.TRAIN_SIZE,)),
    "t10k-images-idx3-ubyte": (2051, (data.TEST_SIZE, 28, 28)),
    "t10k-labels-idx1-ubyte": (2049, (data.TEST_SIZE,)),
}


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under root except the lock, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"
    }


@pytest.fixture(scope="module", autouse=True)
def import_probe():
    """A fresh interpreter that imports course.data and lists the heavy modules it pulled in.

    Started before the other tests so that its torch import overlaps them on a second core.
    """
    code = "import sys, course.data; print(sorted(m for m in ('torchvision', 'matplotlib') if m in sys.modules))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=repo_root(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """One data folder, generated once for the tests that only read it."""
    root = tmp_path_factory.mktemp("shared") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_ENV, str(root))
        assert data.ensure_all() == root
    return root


@pytest.fixture
def ready(generated, monkeypatch) -> Path:
    monkeypatch.setenv(DATA_ENV, str(generated))
    return generated


# --- the generator ------------------------------------------------------------------------


def test_arrays_shapes_dtypes_balance():
    images, labels = data.make_fashion_arrays(73, seed=3)
    assert images.shape == (73, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (73,) and labels.dtype == torch.int64
    counts = torch.bincount(labels, minlength=10)
    assert counts.max() - counts.min() <= 1, counts
    assert labels[:10].unique().numel() > 3, "labels should be shuffled, not sorted"
    # a light garment on a black background
    assert images[:, 0, :].float().mean() < 5 and images.float().mean() > 30
    assert images.max() > 200


def test_arrays_deterministic_and_leave_global_rng_alone():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone())
    a = data.make_fashion_arrays(40, seed=7)
    b = data.make_fashion_arrays(40, seed=7)
    c = data.make_fashion_arrays(40, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])


def test_generator_output_is_pinned():
    images, labels = data.make_fashion_arrays(50, seed=0)
    digest = hashlib.sha256(images.numpy().tobytes() + labels.numpy().tobytes()).hexdigest()
    assert digest == GOLDEN_SHA256, (
        "make_fashion_arrays(50, 0) changed. If that was on purpose, bump DATA_VERSION and update "
        "GOLDEN_SHA256; if not, the output depends on something it should not (numpy version, CPU, global state)."
    )


def test_classes_learnable_but_not_trivial(ready):
    """A nearest-class-mean classifier: far above chance, far below perfect (the data is neither noise nor trivial)."""
    train, test = data.fashion_mnist(train=True), data.fashion_mnist(train=False)
    xtr, ytr = train.data.reshape(len(train), -1).float() / 255, train.targets
    xte, yte = test.data.reshape(len(test), -1).float() / 255, test.targets
    means = torch.stack([xtr[ytr == c].mean(0) for c in range(10)])
    pred = torch.cdist(xte, means).argmin(1)
    accuracy = (pred == yte).float().mean().item()
    assert 0.6 < accuracy < 0.95, accuracy
    per_class = torch.stack([(pred[yte == c] == c).float().mean() for c in range(10)])
    tops = per_class[[0, 2, 4, 6]].mean()  # T-shirt, Pullover, Coat, Shirt: meant to be confused
    others = per_class[[1, 3, 5, 7, 8, 9]].mean()
    assert tops < others - 0.1, per_class


# --- IDX files and torchvision --------------------------------------------------------------


def test_torchvision_loads_both_splits(ready):
    from torchvision.datasets import FashionMNIST

    for train, size in ((True, data.TRAIN_SIZE), (False, data.TEST_SIZE)):
        ds = FashionMNIST(root=data.fashion_root(), train=train, download=False)
        assert len(ds) == size
        assert ds.data.shape == (size, 28, 28) and ds.data.dtype == torch.uint8
        assert ds.targets.dtype == torch.int64
        assert int(ds.targets.min()) == 0 and int(ds.targets.max()) == 9
        assert torch.bincount(ds.targets).tolist() == [size // 10] * 10
        assert ds.classes == data.CLASSES
        image, label = ds[0]
        assert image.size == (28, 28) and image.mode == "L" and isinstance(label, int)
    assert len(data.fashion_mnist(train=False, transform=np.asarray)) == data.TEST_SIZE
    assert data.fashion_mnist(train=False, transform=np.asarray)[0][0].shape == (28, 28)


def test_idx_headers(ready):
    raw = ready / "FashionMNIST" / "raw"
    assert {p.name for p in raw.iterdir()} == set(RAW_FILES)
    for name, (magic, shape) in RAW_FILES.items():
        blob = (raw / name).read_bytes()
        header = struct.unpack(f">{1 + len(shape)}I", blob[: 4 * (1 + len(shape))])
        assert header == (magic, *shape), name
        assert len(blob) == 4 * (1 + len(shape)) + int(np.prod(shape))


def test_read_idx_matches_torchvision(ready):
    train = data.fashion_mnist(train=True)
    raw = ready / "FashionMNIST" / "raw"
    assert torch.equal(data.read_idx(raw / "train-images-idx3-ubyte"), train.data)
    assert torch.equal(data.read_idx(raw / "train-labels-idx1-ubyte").long(), train.targets)


@pytest.mark.parametrize(
    "array",
    [
        torch.arange(24, dtype=torch.uint8).reshape(2, 3, 4),
        torch.tensor([0, 9, 3], dtype=torch.uint8),
        torch.tensor([[-5, 70000], [1, 2]], dtype=torch.int32),
        torch.linspace(-1, 1, 6, dtype=torch.float32).reshape(3, 2),
        torch.tensor([1.5, -2.25], dtype=torch.float64),
    ],
    ids=["uint8-3d", "uint8-1d", "int32", "float32", "float64"],
)
def test_read_idx_round_trip(tmp_path, array):
    path = data.write_idx(tmp_path / "x-idx", array)
    back = data.read_idx(path)
    assert back.dtype == array.dtype and torch.equal(back, array)
    gz = tmp_path / "x-idx.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert torch.equal(data.read_idx(gz), array)


def test_read_idx_rejects_other_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "junk")
    (tmp_path / "short").write_bytes(struct.pack(">II", 2049, 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="promises"):
        data.read_idx(tmp_path / "short")


# --- the CSV + image folder --------------------------------------------------------------------


# torchvision 0.29 deprecates its image decoders (in favour of TorchCodec) and warns on every call;
# the warning is attributed to torchvision itself, so notebooks do not show it, but pytest does.
@pytest.mark.filterwarnings("ignore:The image decoding and encoding capabilities of TorchVision:DeprecationWarning")
def test_csv_image_folder(ready):
    from torchvision.io import read_image

    csv_path, img_dir = data.csv_image_folder()
    assert csv_path == ready / "fashion_csv" / "labels.csv" and img_dir == ready / "fashion_csv" / "images"
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["filename", "label"]
    rows = rows[1:]
    assert len(rows) == data.CSV_SIZE == len(list(img_dir.glob("*.png")))
    assert rows[0][0] == "img_0000.png"
    assert sorted(np.bincount([int(label) for _, label in rows]).tolist()) == [data.CSV_SIZE // 10] * 10
    # Every PNG is a test image, and the CSV gives that image's label.
    test = data.fashion_mnist(train=False)
    label_of = {bytes(img.numpy().tobytes()): int(t) for img, t in zip(test.data, test.targets, strict=True)}
    for name, label in rows:
        image = read_image(str(img_dir / name))
        assert image.shape == (1, 28, 28) and image.dtype == torch.uint8, name
        assert label_of[image[0].numpy().tobytes()] == int(label), name


# --- generation: deterministic, atomic, concurrent, read-only ------------------------------------


def test_same_bytes_in_two_folders(generated, tmp_path, monkeypatch):
    other = tmp_path / "data"
    other.mkdir()
    (other / ".complete-v0").write_text("an older version\n")  # replaced by this version's marker
    monkeypatch.setenv(DATA_ENV, str(other))
    assert not data.is_complete()
    assert data.ensure_all() == other
    assert data.is_complete()
    assert _tree(other) == _tree(generated)
    assert not list(other.rglob("*.tmp")), "temporary files left behind"
    assert (other / f".complete-v{data.DATA_VERSION}").is_file() and not (other / ".complete-v0").exists()


def _ensure_all_in_child(root: str, barrier, results) -> None:
    os.environ[DATA_ENV] = root
    generate = data._generate

    def counted(folder: Path) -> None:
        results.put(("generated", os.getpid()))
        generate(folder)

    data._generate = counted  # this child's copy of the module only
    barrier.wait()  # all three call ensure_all at the same moment
    results.put(("returned", str(data.ensure_all())))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (Linux CI)")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_concurrent_ensure_all(generated, tmp_path):
    """Three processes call ensure_all on one empty folder at once: one generates, all get the same complete files.

    The processes are forked so that they need not import torch again (seconds each on CI).
    """
    root = tmp_path / "data"
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_ensure_all_in_child, args=(str(root), barrier, results)) for _ in range(3)]
    for p in procs:
        p.start()
    messages = []
    try:
        while sum(kind == "returned" for kind, _ in messages) < 3:
            messages.append(results.get(timeout=120))
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert [value for kind, value in messages if kind == "returned"] == [str(root)] * 3
    assert sum(kind == "generated" for kind, _ in messages) == 1, "the lock should let exactly one process generate"
    assert _tree(root) == _tree(generated)
    assert not list(root.rglob("*.tmp")), "temporary files left behind"


def test_fast_path_only_checks_the_marker(ready, monkeypatch):
    monkeypatch.setattr(data, "_generate", lambda root: pytest.fail("regenerated a complete folder"))
    start = time.perf_counter()
    for _ in range(1000):
        data.ensure_all()
    assert (time.perf_counter() - start) / 1000 < 0.005  # microseconds in practice; generous for slow CI


def test_missing_files_are_regenerated(generated, tmp_path, monkeypatch):
    """Files deleted by hand behind a complete marker: fashion_root notices and regenerates."""
    root = tmp_path / "data"
    shutil.copytree(generated, root)
    (root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte").unlink()
    monkeypatch.setenv(DATA_ENV, str(root))
    calls = []

    def regenerate(into: Path) -> None:  # a stand-in for _generate: copying is faster than drawing
        calls.append(into)
        shutil.copytree(generated, into, dirs_exist_ok=True)

    monkeypatch.setattr(data, "_generate", regenerate)
    assert len(data.fashion_mnist(train=False)) == data.TEST_SIZE
    assert calls == [root]
    assert _tree(root) == _tree(generated)


def _make_read_only(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _make_writable(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_read_only_complete_folder_reads(generated, tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(generated, root)
    monkeypatch.setenv(DATA_ENV, str(root))
    monkeypatch.setattr(data, "_generate", lambda root: pytest.fail("tried to write a complete folder"))
    _make_read_only(root)
    try:
        assert data.ensure_all() == root
        assert len(data.fashion_mnist(train=True)) == data.TRAIN_SIZE
        csv_path, img_dir = data.csv_image_folder()
        assert csv_path.is_file() and img_dir.is_dir()
    finally:
        _make_writable(root)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_incomplete_folder_says_what_to_do(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv(DATA_ENV, str(root))
    _make_read_only(root)
    try:
        with pytest.raises(data.DataDirError, match=r"course data.*COURSE_DATA_DIR"):
            data.ensure_all()
    finally:
        _make_writable(root)


def test_unwritable_incomplete_folder_says_what_to_do(tmp_path, monkeypatch):
    """The same error where the folder cannot even be made (here: its parent is a file)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(DATA_ENV, str(blocker / "data"))
    with pytest.raises(data.DataDirError, match=r"course data.*COURSE_DATA_DIR"):
        data.ensure_all()
    with pytest.raises(data.DataDirError):
        data.fashion_root()


def test_import_is_cheap(import_probe):
    out, err = import_probe.communicate(timeout=120)
    assert import_probe.returncode == 0, err
    assert out.strip() == "[]", f"importing course.data imported {out.strip()}"
