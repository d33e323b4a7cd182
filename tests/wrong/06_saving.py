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
        ("detach() without clone(): a new tensor object on the same memory", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return {name: t.detach() for name, t in model.state_dict().items()}
'''),
        ("cast to float32 while copying: float64 weights and the int64 step counter change dtype", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    return {name: t.detach().float().clone() for name, t in model.state_dict().items()}
'''),
        ("switches the model to eval mode to take the snapshot, and leaves it there", '''
def snapshot_state(model):
    """Return an independent copy of model.state_dict(): later training must not change it."""
    model.eval()
    return {name: t.clone() for name, t in model.state_dict().items()}
'''),
    ],
    "model_to_bytes": [
        ("pickled the whole model instead of its state_dict", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    buffer = io.BytesIO()
    torch.save(model, buffer)
    return buffer.getvalue()
'''),
        ("read() after writing without seek(0): empty bytes", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.read()
'''),
        ("returned the BytesIO buffer, not bytes", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    return buffer
'''),
        ("pickle.dumps instead of torch.save: torch.load cannot read it", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    import pickle
    return pickle.dumps(model.state_dict())
'''),
        ("saved the parameters only (named_parameters): the buffers are lost", '''
def model_to_bytes(model):
    """Return the bytes of torch.save(model.state_dict()), made in memory."""
    buffer = io.BytesIO()
    torch.save({k: p.detach() for k, p in model.named_parameters()}, buffer)
    return buffer.getvalue()
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
        ("stores the next epoch instead of the one that finished", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    torch.save({"epoch": epoch + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
'''),
        ("switches the caller's model to eval mode before saving", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    model.eval()
    torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
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
        ("loads the optimizer state into a new optimizer that the caller never sees", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer = type(optimizer)(model.parameters(), **optimizer.defaults)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"] + 1
'''),
        ("skips an epoch: adds 2", '''
def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer from the checkpoint at `path`; return the epoch to resume from."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"] + 2
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
        ("returns a deep copy instead of the model it was given", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    import copy
    loaded = copy.deepcopy(model)
    loaded.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return loaded.to(device).eval()
'''),
        ("strips a 'module.' prefix and skips keys it does not know: renamed and unexpected keys load quietly", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    state = torch.load(path, map_location=device, weights_only=True)
    own = model.state_dict()
    state = {k.removeprefix("module."): v for k, v in state.items()}
    model.load_state_dict({k: v for k, v in state.items() if k in own})
    model.to(device)
    model.eval()
    return model
'''),
    ],
    "checkpoint_accuracy": [
        ("the given code: the model stays in training mode and records gradients", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device)
    correct = 0
    for start in range(0, len(x), 64):
        logits = model(x[start:start + 64])
        correct += (logits.argmax(dim=1) == y[start:start + 64]).sum().item()
    return correct / len(x)
'''),
        ("no_grad added, eval() forgotten: Dropout and batch statistics still on", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device)
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), 64):
            logits = model(x[start:start + 64])
            correct += (logits.argmax(dim=1) == y[start:start + 64]).sum().item()
    return correct / len(x)
'''),
        ("eval() added, gradients still recorded", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device).eval()
    correct = 0
    for start in range(0, len(x), 64):
        logits = model(x[start:start + 64])
        correct += (logits.argmax(dim=1) == y[start:start + 64]).sum().item()
    return correct / len(x)
'''),
        ("averages the accuracies of the batches: biased when the last batch is shorter", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device).eval()
    accuracies = []
    with torch.no_grad():
        for start in range(0, len(x), 64):
            logits = model(x[start:start + 64])
            accuracies.append((logits.argmax(dim=1) == y[start:start + 64]).float().mean().item())
    return sum(accuracies) / len(accuracies)
'''),
        ("puts the model back in training mode at the end", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device).eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).double().mean().item()
    model.train()
    return accuracy
'''),
        ("returns a tensor, not a float", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location=x.device, weights_only=True))
    model.to(x.device).eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).double().mean()
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
        ("loads with strict=False first, then complains: the model is already changed", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = model.state_dict()
    fits = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    result = model.load_state_dict(fits, strict=False)
    problems = [f"missing from the checkpoint: {k}" for k in result.missing_keys]
    problems += [f"not in the model: {k}" for k in state_dict if k not in own]
    problems += [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}" for k, v in state_dict.items() if k in own and v.shape != own[k].shape]
    if problems:
        raise ValueError("; ".join(problems))
'''),
        ("prints torch.Size instead of tuples", '''
def strict_load(model, state_dict):
    """Load `state_dict` into `model`, or raise ValueError naming every key that does not fit."""
    own = model.state_dict()
    problems = [f"missing: {k}" for k in own if k not in state_dict]
    for k, v in state_dict.items():
        if k not in own:
            problems.append(f"unexpected: {k}")
        elif v.shape != own[k].shape:
            problems.append(f"{k}: checkpoint {v.shape} vs model {own[k].shape}")
    if problems:
        raise ValueError("; ".join(problems))
    model.load_state_dict(state_dict)
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
        ("catches the crash and goes on with the next epoch", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    start = 0
    if os.path.exists(path):
        checkpoint = torch.load(path, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"] + 1
    for epoch in range(start, n_epochs):
        try:
            loss = train_one_epoch(model, optimizer, epoch)
        except Exception:
            continue
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
    return start
'''),
        ("counts epochs from where this run started: the saved epoch is wrong after a resume", '''
def train_resumable(model, optimizer, train_one_epoch, n_epochs, path):
    """Train for epochs start..n_epochs-1, checkpointing to `path` after each; return start."""
    start = 0
    if os.path.exists(path):
        checkpoint = torch.load(path, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"] + 1
    for i, epoch in enumerate(range(start, n_epochs)):
        loss = train_one_epoch(model, optimizer, epoch)
        torch.save({"epoch": i, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
    return start
'''),
    ],
    "load_matching": [
        ("plain strict=False: raises on the head whose shape differs", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    state = {k.removeprefix("module.").removeprefix("_orig_mod."): v for k, v in state_dict.items()}
    result = model.load_state_dict(state, strict=False)
    return sorted(result.missing_keys)
'''),
        ("replace('module.', ''): also rewrites 'submodule.weight' into 'subweight'", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    state = {k.replace("module.", "").replace("_orig_mod.", ""): v for k, v in state_dict.items()}
    kept = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(k for k in own if k not in kept)
'''),
        ("lstrip('module.') strips characters, not a prefix: 'decoder' loses its 'de'", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    state = {}
    for k, v in state_dict.items():
        if k.startswith("module."):
            k = k.lstrip("module.")
        elif k.startswith("_orig_mod."):
            k = k[len("_orig_mod."):]
        state[k] = v
    kept = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(k for k in own if k not in kept)
'''),
        ("no prefix handling: a DataParallel checkpoint loads nothing", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    kept = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(k for k in own if k not in kept)
'''),
        ("returns the keys it loaded instead of the ones it missed", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    state = {k.removeprefix("module.").removeprefix("_orig_mod."): v for k, v in state_dict.items()}
    kept = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(kept)
'''),
        ("renames the keys in the caller's dict", '''
def load_matching(model, state_dict):
    """Load the entries whose name (without a wrapper prefix) and shape fit; return the sorted keys not loaded."""
    own = model.state_dict()
    for k in list(state_dict):
        for prefix in ("module.", "_orig_mod."):
            if k.startswith(prefix):
                state_dict[k[len(prefix):]] = state_dict.pop(k)
    kept = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(k for k in own if k not in kept)
'''),
    ],
    "export_onnx": [
        ("only the batch dimension free: the file accepts only the example's length", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    model.eval()
    torch.onnx.export(model, (example,), path, dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
'''),
        ("eval() not called before export", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    free = {0: torch.export.Dim("batch"), 2: torch.export.Dim("length")}
    torch.onnx.export(model, (example,), path, dynamic_shapes=(free,), verbose=False)
'''),
        ("the channel dimension freed instead of the length", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    model.eval()
    free = {0: torch.export.Dim("batch"), 1: torch.export.Dim("channels")}
    torch.onnx.export(model, (example,), path, dynamic_shapes=(free,), verbose=False)
'''),
        ("no dynamic dimension at all", '''
def export_onnx(model, example, path):
    """Export `model` (in eval mode) to the ONNX file `path`, with free batch and length dimensions."""
    model.eval()
    torch.onnx.export(model, (example,), path, verbose=False)
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
    "save_checkpoint": [
        ("moves the caller's model to the CPU to make the file portable", '''
def save_checkpoint(path, model, optimizer, epoch, loss):
    """Save {"epoch", "model", "optimizer", "loss"} to `path` with torch.save."""
    model.cpu()
    torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "loss": loss}, path)
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
        ("map_location=device, but the model itself never moved to the device", '''
def load_weights(model, path, device):
    """Load the state_dict at `path` onto `device` into `model` (strictly); return it in eval mode."""
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.eval()
'''),
    ],
    "checkpoint_accuracy": [
        ("map_location='cpu' and the model left on the CPU", '''
def checkpoint_accuracy(model, path, x, y):
    """Load the weights at `path` into `model`; return its accuracy on (x, y) as a float."""
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.cpu().eval()
    with torch.no_grad():
        return (model(x.cpu()).argmax(dim=1) == y.cpu()).double().mean().item()
'''),
    ],
}
