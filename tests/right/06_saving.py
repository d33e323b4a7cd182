"""Correct alternatives for 06_saving: solutions written differently from the reference.

Each must pass its own test cell; a test that fails one is a defect of the test (or of the
task text).
"""

RIGHT = {
    "snapshot_state": [
        ("copy.deepcopy of the state_dict copies every tensor", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    import copy
    return copy.deepcopy(model.state_dict())
'''),
        ("empty_like + copy_, under no_grad, into an OrderedDict", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    from collections import OrderedDict
    out = OrderedDict()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            out[name] = torch.empty_like(t).copy_(t)
    return out
'''),
        ("state_dict(keep_vars=True), then detach().clone()", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
'''),
    ],
    "model_to_bytes": [
        ("seek(0) then read()", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    return buf.read()
'''),
        ("a with block and bytes(getbuffer())", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    with io.BytesIO() as f:
        torch.save(model.state_dict(), f)
        return bytes(f.getbuffer())
'''),
    ],
    "save_checkpoint": [
        ("one dict literal, written in another key order", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    torch.save({"optimizer": optimizer.state_dict(), "model": model.state_dict(), "loss": float(loss), "epoch": int(epoch)}, path)
'''),
        ("an open file object and copies of the model's tensors on the CPU", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    with open(path, "wb") as f:
        torch.save({"epoch": epoch, "model": weights, "optimizer": optimizer.state_dict(), "loss": loss}, f)
'''),
    ],
    "load_checkpoint": [
        ("map_location to the model's device, and an open file", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    dev = next(model.parameters()).device
    with open(path, "rb") as f:
        ckpt = torch.load(f, map_location=dev, weights_only=True)
    optimizer.load_state_dict(ckpt["optimizer"])
    model.load_state_dict(ckpt["model"], strict=True)
    return int(ckpt["epoch"]) + 1
'''),
        ("unpacks the dict into names first", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    ckpt = torch.load(path, weights_only=True)
    epoch, weights, opt_state = ckpt["epoch"], ckpt["model"], ckpt["optimizer"]
    model.load_state_dict(weights)
    optimizer.load_state_dict(opt_state)
    next_epoch = epoch + 1
    return next_epoch
'''),
    ],
    "load_weights": [
        ("map_location to the CPU, then the model moved; torch.device() around the argument", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    device = torch.device(device)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()
'''),
        ("model moved first, map_location as a function, train(False)", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    model.to(device)
    state = torch.load(path, map_location=lambda storage, location: storage, weights_only=True)
    model.load_state_dict(state)
    model.train(False)
    return model
'''),
    ],
    "checkpoint_accuracy": [
        ("eval() before loading, inference_mode, one forward pass", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.eval()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.to(x.device)
    with torch.inference_mode():
        predictions = model(x).argmax(dim=1)
    return float((predictions == y).sum().item()) / len(y)
'''),
        ("batches of 16, counts in a tensor, set_grad_enabled(False)", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model = model.to(x.device)
    model.train(False)
    hits = torch.zeros((), dtype=torch.long, device=x.device)
    with torch.set_grad_enabled(False):
        for xb, yb in zip(x.split(16), y.split(16)):
            hits += (model(xb).argmax(1) == yb).sum()
    return hits.item() / x.shape[0]
'''),
    ],
    "strict_load": [
        ("sets of keys, a list of problems built with comprehensions", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = model.state_dict()
    problems = [f"the checkpoint lacks {k}" for k in sorted(set(own) - set(state_dict))]
    problems += [f"the model has no {k}" for k in sorted(set(state_dict) - set(own))]
    problems += [
        f"{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state_dict))
        if state_dict[k].shape != own[k].shape
    ]
    if problems:
        raise ValueError("\\n".join(problems))
    model.load_state_dict(state_dict, strict=True)
    return None
'''),
        ("one message per category, shapes compared as tuples", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in state_dict.items()}
    missing = [k for k in own if k not in theirs]
    unexpected = [k for k in theirs if k not in own]
    sizes = [f"{k}: checkpoint {theirs[k]} vs model {own[k]}" for k in own if k in theirs and theirs[k] != own[k]]
    if missing or unexpected or sizes:
        raise ValueError(f"missing keys {missing}, unexpected keys {unexpected}, shape mismatches {sizes}")
    model.load_state_dict(state_dict)
'''),
    ],
    "train_resumable": [
        ("helpers for save and load, a while loop", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    def save(epoch, loss):
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": float(loss)}, path)

    start = 0
    if os.path.isfile(path):
        ckpt = torch.load(path, map_location=next(model.parameters()).device, weights_only=True)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start = ckpt["epoch"] + 1
    epoch = start
    while epoch < n_epochs:
        save(epoch, train_one_epoch(model, optimizer, epoch))
        epoch += 1
    return start
'''),
        ("writes to a temporary file and renames it (a crash while saving cannot corrupt the checkpoint)", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    from pathlib import Path
    path = Path(path)
    first = 0
    if path.exists():
        ckpt = torch.load(path, weights_only=True)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        first = ckpt["epoch"] + 1
    for epoch in range(first, n_epochs):
        loss = train_one_epoch(model, optimizer, epoch)
        partial = path.with_suffix(".partial")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, "loss": loss}, partial)
        os.replace(partial, path)
    return first
'''),
    ],
    "load_matching": [
        ("str.removeprefix, then copy_ under no_grad, key by key", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    loaded = set()
    with torch.no_grad():
        for key, value in state_dict.items():
            if key.startswith("module."):
                key = key.removeprefix("module.")
            elif key.startswith("_orig_mod."):
                key = key.removeprefix("_orig_mod.")
            if key in own and own[key].shape == value.shape:
                own[key].copy_(value)
                loaded.add(key)
    return sorted(set(own) - loaded)
'''),
        ("torch's consume_prefix_in_state_dict_if_present on a copy, then strict=False", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    from collections import OrderedDict
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
    state = OrderedDict(state_dict)
    for prefix in ("module.", "_orig_mod."):
        consume_prefix_in_state_dict_if_present(state, prefix)
    own = model.state_dict()
    fits = {k: v for k, v in state.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    result = model.load_state_dict(fits, strict=False)
    return sorted(result.missing_keys)
'''),
    ],
    "export_onnx": [
        ("Dim objects made first, dynamic_shapes as a dict keyed by forward's argument name", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    model.train(False)
    batch, length = torch.export.Dim("n"), torch.export.Dim("seq_len")
    torch.onnx.export(model, (example,), path, dynamic_shapes={"input": {0: batch, 2: length}}, verbose=False)
'''),
        ("the TorchScript exporter with dynamic_axes (dynamo=False), its deprecation warning silenced", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    import warnings
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), path, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch", 2: "length"}, "logits": {0: "batch"}}, dynamo=False)
'''),
    ],
}
