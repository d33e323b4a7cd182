"""Known-wrong solutions for 06_saving: mistakes learners really make.

``WRONG`` holds the mistakes that fail on any machine. ``CUDA_ONLY`` holds device mistakes
that are correct on a CPU-only machine and can only fail where CUDA exists; they join
``WRONG`` there, so a GPU run checks them too.
"""

WRONG = {
    "snapshot_state": [
        ("kept model.state_dict() itself: its tensors are the model's, so they train on", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return model.state_dict()
'''),
        ("copied the dict, not the tensors", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return dict(model.state_dict())
'''),
        ("named_parameters: the BatchNorm buffers are lost", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}
'''),
    ],
    "model_to_bytes": [
        ("pickled the whole model instead of its state_dict", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory with io.BytesIO."""
    buffer = io.BytesIO()
    torch.save(model, buffer)
    return buffer.getvalue()
'''),
        ("read() after writing without seek(0): empty bytes", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory with io.BytesIO."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.read()
'''),
    ],
    "save_checkpoint": [
        ("the model pickled instead of its state_dict", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    torch.save({"epoch": epoch, "model": model, "optimizer": optimizer.state_dict(), "loss": loss}, path)
'''),
        ("the optimizer state not saved", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    torch.save({"epoch": epoch, "model": model.state_dict(), "loss": loss}, path)
'''),
        ("the optimizer object pickled instead of its state_dict", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer, "loss": loss}, path)
'''),
    ],
    "load_checkpoint": [
        ("the epoch off by one: resumes at the epoch that already finished", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
'''),
        ("the optimizer state not restored", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"] + 1
'''),
    ],
    "train_resumable": [
        ("the optimizer state not saved: Adam restarts from scratch on resume", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    start = 0
    if os.path.exists(path):
        checkpoint = torch.load(path, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        start = checkpoint["epoch"] + 1
    for epoch in range(start, n_epochs):
        loss = train_one_epoch(model, optimizer, epoch)
        torch.save({"epoch": epoch, "model": model.state_dict(), "loss": loss}, path)
    return start
'''),
        ("the epoch off by one on resume: the last finished epoch runs twice", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    start = 0
    if os.path.exists(path):
        checkpoint = torch.load(path, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"]
    for epoch in range(start, n_epochs):
        loss = train_one_epoch(model, optimizer, epoch)
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
    return start
'''),
        ("a checkpoint only at the end: a crash loses the whole run", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    start = 0
    if os.path.exists(path):
        checkpoint = torch.load(path, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"] + 1
    loss = None
    for epoch in range(start, n_epochs):
        loss = train_one_epoch(model, optimizer, epoch)
    if start < n_epochs:
        torch.save({"epoch": n_epochs - 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
    return start
'''),
    ],
    "load_weights": [
        ("map_location missing: tensors go back to the device they were saved from", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    state = torch.load(path, weights_only=True)
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    return model
'''),
        ("eval() not called: Dropout stays on", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    state = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(state)
    return model.to(device)
'''),
        ("strict=False to make the key errors go away", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    state = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(state, strict=False)
    model.to(device)
    model.eval()
    return model
'''),
    ],
    "load_matching": [
        ("plain strict=False: raises on the head whose shape differs", '''
def load_matching(model, state_dict):
    """Load the entries whose name and shape fit `model`; return the sorted keys not loaded."""
    result = model.load_state_dict(state_dict, strict=False)
    return sorted(result.missing_keys)
'''),
        ("returns the keys it loaded instead of the ones it missed", '''
def load_matching(model, state_dict):
    """Load the entries whose name and shape fit `model`; return the sorted keys not loaded."""
    own = model.state_dict()
    kept = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(kept)
'''),
        ("drops the mismatched shapes but reports only the keys absent by name", '''
def load_matching(model, state_dict):
    """Load the entries whose name and shape fit `model`; return the sorted keys not loaded."""
    own = model.state_dict()
    kept = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(k for k in own if k not in state_dict)
'''),
    ],
    "strict_load": [
        ("no check: PyTorch's RuntimeError goes through", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    model.load_state_dict(state_dict)
'''),
        ("compares the key names only, not the shapes", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if missing or unexpected:
        raise ValueError(f"missing: {missing}; unexpected: {unexpected}")
    model.load_state_dict(state_dict)
'''),
        ("raises at the first problem: the other keys go unreported", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = model.state_dict()
    for k in own:
        if k not in state_dict:
            raise ValueError(f"missing from the checkpoint: {k}")
    for k, v in state_dict.items():
        if k not in own:
            raise ValueError(f"not in the model: {k}")
        if v.shape != own[k].shape:
            raise ValueError(f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}")
    model.load_state_dict(state_dict)
'''),
    ],
    "export_onnx": [
        ("no dynamic batch dimension: the file only accepts the example's batch size", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with a free batch dimension."""
    model.eval()
    torch.onnx.export(model, (example,), path, verbose=False)
'''),
        ("eval() not called before export", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with a free batch dimension."""
    torch.onnx.export(model, (example,), path, dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
'''),
    ],
}

CUDA_ONLY = {
    "snapshot_state": [
        ("copies moved to the CPU", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}
'''),
    ],
    "load_weights": [
        ("map_location hard-coded to the CPU, model never moved", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
    return model
'''),
    ],
}
