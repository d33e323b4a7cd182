"""Known-wrong solutions for 05_optimizers: mistakes learners really make.

Each must fail its own test cell and no other (``python -m course.testing check 05_optimizers``).
"""

_TEST_LOOP = '''
def test_loop(dataloader, model, loss_fn, device):
    {mode}
    total_loss, correct, seen = 0.0, 0, 0
    {ctx}
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            logits = model(X)
            total_loss += {loss}
            correct += (logits.argmax(dim={dim}) == y).sum().item()
            seen += len(y)
    return correct / seen, total_loss / {denom}
'''


def _test_loop(mode="model.eval()", ctx="with torch.no_grad():", loss="loss_fn(logits, y).item() * len(y)", dim=1, denom="seen"):
    return _TEST_LOOP.format(mode=mode, ctx=ctx, loss=loss, dim=dim, denom=denom)


_TRAIN_LOOP = '''
def train_loop(dataloader, model, loss_fn, optimizer, device, max_norm=None):
    {mode}
    total, seen = 0.0, 0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        {zero}
        loss = loss_fn(model(X), y)
        {first}
        {second}
        {third}
        total += loss.item(){weight}
        seen += len(X)
    return total / {denom}
'''

_BACKWARD = "loss.backward()"
_CLIP = "if max_norm is not None:\n            nn.utils.clip_grad_norm_(model.parameters(), max_norm)"
_STEP = "optimizer.step()"


def _train_loop(mode="model.train()", zero="optimizer.zero_grad()", first=_BACKWARD, second=_CLIP, third=_STEP,
                weight=" * len(X)", denom="seen"):
    return _TRAIN_LOOP.format(mode=mode, zero=zero, first=first, second=second, third=third, weight=weight, denom=denom)


_FASHION = '''
def train_fashion_model(train_loader, device):
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10){last})

        def forward(self, x):
            return self.net({scale})

    model = Scaled().to(device)
    optimizer = {opt}
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    steps = 0
    while steps < {steps}:
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            loss_fn(model(X), y).backward()
            optimizer.step()
            steps += 1
            if steps == {steps}:
                break
    return model
'''


def _fashion(last="", scale="x.float() / 255", opt="torch.optim.Adam(model.parameters(), lr=3e-3)", steps=50):
    return _FASHION.format(last=last, scale=scale, opt=opt, steps=steps)


WRONG = {
    "largest_stable_lr": [
        ("the factor 2 of the Hessian forgotten: the limit is twice too large", '''
def largest_stable_lr(X):
    H = X.T @ X / X.shape[0]
    return 2.0 / torch.linalg.eigvalsh(H)[-1].item()
'''),
        ("sum instead of mean: the Hessian of the summed loss, N times too large", '''
def largest_stable_lr(X):
    H = 2 * X.T @ X
    return 2.0 / torch.linalg.eigvalsh(H)[-1].item()
'''),
        ("1 / lambda_max instead of 2 / lambda_max", '''
def largest_stable_lr(X):
    H = 2 * X.T @ X / X.shape[0]
    return 1.0 / torch.linalg.eigvalsh(H)[-1].item()
'''),
        ("the trace (sum of all eigenvalues) instead of the largest eigenvalue", '''
def largest_stable_lr(X):
    H = 2 * X.T @ X / X.shape[0]
    return 2.0 / torch.trace(H).item()
'''),
        ("the smallest eigenvalue (eigvalsh sorts ascending)", '''
def largest_stable_lr(X):
    H = 2 * X.T @ X / X.shape[0]
    return 2.0 / torch.linalg.eigvalsh(H)[0].clamp(min=1e-12).item()
'''),
        ("returns a tensor, not a Python float", '''
def largest_stable_lr(X):
    H = 2 * X.T @ X / X.shape[0]
    return 2.0 / torch.linalg.eigvalsh(H)[-1]
'''),
        ("the Hessian X X^T (N x N) of the wrong side is fine, but divided by D instead of N", '''
def largest_stable_lr(X):
    H = 2 * X @ X.T / X.shape[1]
    return 2.0 / torch.linalg.eigvalsh(H)[-1].item()
'''),
    ],
    "gd_update": [
        ("chapter 2's contract: the gradients are zeroed after the step", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * (p.grad + weight_decay * p)
                p.grad = None
'''),
        ("in-place update outside no_grad: autograd refuses to change a leaf", '''
def gd_update(params, lr, weight_decay=0.0):
    for p in params:
        if p.grad is not None:
            p -= lr * (p.grad + weight_decay * p)
'''),
        ("p = p - ... only rebinds the name: the parameters never change", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p = p - lr * (p.grad + weight_decay * p)
'''),
        ("the decay is applied after the gradient step, to the already-updated value", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p -= lr * weight_decay * p
'''),
        ("weight decay with the wrong sign: it pushes the weights away from zero", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * (p.grad - weight_decay * p)
'''),
        ("the decay also shrinks parameters that have no gradient", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            p.mul_(1 - lr * weight_decay)
            if p.grad is not None:
                p -= lr * p.grad
'''),
        ("weight decay without the learning rate", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad + weight_decay * p
'''),
        ("p.data replaced by a new tensor: same values, but new storage", '''
def gd_update(params, lr, weight_decay=0.0):
    for p in params:
        if p.grad is not None:
            p.data = p.data - lr * (p.grad + weight_decay * p.data)
'''),
    ],
    "bce_with_logits": [
        ("written as the formula: sigmoid then log, -inf for confident logits", '''
def bce_with_logits(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()
'''),
        ("sigmoid then log with a clamp: finite but wrong for confident mistakes", '''
def bce_with_logits(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * p.clamp(min=1e-12).log() + (1 - targets) * (1 - p).clamp(min=1e-12).log()).mean()
'''),
        ("log(1 + exp(z)) computed directly: exp overflows to inf", '''
def bce_with_logits(logits, targets):
    return (torch.log(1 + torch.exp(logits)) - targets * logits).mean()
'''),
        ("calls the built-in loss the task rules out", '''
def bce_with_logits(logits, targets):
    return nn.functional.binary_cross_entropy_with_logits(logits, targets)
'''),
        ("summed instead of averaged", '''
def bce_with_logits(logits, targets):
    return (nn.functional.softplus(logits) - targets * logits).sum()
'''),
        ("the sign of the target term flipped", '''
def bce_with_logits(logits, targets):
    return (nn.functional.softplus(logits) + targets * logits).mean()
'''),
        ("softplus with its default threshold is fine, but max(z, 0) was written as z.abs()", '''
def bce_with_logits(logits, targets):
    return (logits.abs() + torch.log1p(torch.exp(-logits.abs())) - targets * logits).mean()
'''),
        ("detached with .item(): a number, not a tensor backward can run through", '''
def bce_with_logits(logits, targets):
    return torch.tensor((nn.functional.softplus(logits) - targets * logits).mean().item())
'''),
    ],
    "test_loop": [
        ("the given bug kept: the mean of the batch means (biased when the last batch is short)", _test_loop(loss="loss_fn(logits, y).item()", denom="len(dataloader)")),
        ("eval mode not set: Dropout stays on while evaluating", _test_loop(mode="pass")),
        ("no torch.no_grad(): every batch builds a graph", _test_loop(ctx="if True:")),
        ("model.train() instead of model.eval()", _test_loop(mode="model.train()")),
        ("accuracy over the wrong dim: argmax(dim=0) picks a sample per class", _test_loop(dim=0)),
        ("the loss weighted by batch size but divided by the dataset's size (wrong with drop_last)",
         _test_loop(denom="len(dataloader.dataset)")),
        ("per-sample losses summed but divided by the number of batches", _test_loop(denom="len(dataloader)")),
        ("the given function returned unchanged", '''
def test_loop(dataloader, model, loss_fn, device):
    return evaluate(dataloader, model, loss_fn, device)
'''),
    ],
    "train_loop": [
        ("zero_grad missing: gradients accumulate across batches", _train_loop(zero="pass")),
        ("step before backward: each step uses the previous batch's gradient", _train_loop(first=_STEP, second=_BACKWARD, third=_CLIP)),
        ("clipping after the step: it clips gradients that were already used", _train_loop(first=_BACKWARD, second=_STEP, third=_CLIP)),
        ("each gradient clipped on its own (clip per parameter), not the total norm", _train_loop(
            second="if max_norm is not None:\n            for p in model.parameters():\n                nn.utils.clip_grad_norm_([p], max_norm)")),
        ("clip by value instead of by norm", _train_loop(
            second="if max_norm is not None:\n            nn.utils.clip_grad_value_(model.parameters(), max_norm)")),
        ("max_norm ignored: never clips", _train_loop(second="pass")),
        ("the mean of batch means instead of the per-sample mean", _train_loop(weight="", denom="len(dataloader)")),
        ("model.train() never called: a model left in eval mode trains in eval mode", _train_loop(mode="pass")),
        ("a fresh optimizer built inside: the caller's optimizer and its state are ignored", _train_loop(
            zero="optimizer = optimizer if False else torch.optim.SGD(model.parameters(), lr=0.1)\n        optimizer.zero_grad()")),
        ("the loss recorded after the step (computed again, on the updated model)", '''
def train_loop(dataloader, model, loss_fn, optimizer, device, max_norm=None):
    model.train()
    total, seen = 0.0, 0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        with torch.no_grad():
            total += loss_fn(model(X), y).item() * len(X)
        seen += len(X)
    return total / seen
'''),
    ],
    "adam_step": [
        ("no bias correction: the first steps are far too small", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            s = state.setdefault(p, {"m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            s["m"].mul_(b1).add_((1 - b1) * p.grad)
            s["v"].mul_(b2).add_((1 - b2) * p.grad ** 2)
            p -= lr * s["m"] / (s["v"].sqrt() + eps)
'''),
        ("eps inside the square root", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            s = state.setdefault(p, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            s["t"] += 1
            s["m"].mul_(b1).add_((1 - b1) * p.grad)
            s["v"].mul_(b2).add_((1 - b2) * p.grad ** 2)
            m_hat = s["m"] / (1 - b1 ** s["t"])
            v_hat = s["v"] / (1 - b2 ** s["t"])
            p -= lr * m_hat / (v_hat + eps).sqrt()
'''),
        ("one step counter for all parameters: a skipped parameter's t still advances", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    state["t"] = state.get("t", 0) + 1
    t = state["t"]
    with torch.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            m, v = state.setdefault(i, (torch.zeros_like(p), torch.zeros_like(p)))
            m.mul_(b1).add_((1 - b1) * p.grad)
            v.mul_(b2).add_((1 - b2) * p.grad ** 2)
            p -= lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps)
'''),
        ("the state kept in a global dict: two models share their averages", '''
_ADAM = {}


def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            s = _ADAM.setdefault(i, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            s["t"] += 1
            s["m"].mul_(b1).add_((1 - b1) * p.grad)
            s["v"].mul_(b2).add_((1 - b2) * p.grad ** 2)
            p -= lr * (s["m"] / (1 - b1 ** s["t"])) / ((s["v"] / (1 - b2 ** s["t"])).sqrt() + eps)
'''),
        ("the averages rebuilt at every call: every step is a first step", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            m = (1 - b1) * p.grad
            v = (1 - b2) * p.grad ** 2
            p -= lr * (m / (1 - b1)) / ((v / (1 - b2)).sqrt() + eps)
'''),
        ("v averages |g| instead of g squared", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            s = state.setdefault(p, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            s["t"] += 1
            s["m"].mul_(b1).add_((1 - b1) * p.grad)
            s["v"].mul_(b2).add_((1 - b2) * p.grad.abs())
            p -= lr * (s["m"] / (1 - b1 ** s["t"])) / (s["v"] / (1 - b2 ** s["t"]) + eps)
'''),
        ("the gradients zeroed after the step", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            s = state.setdefault(p, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            s["t"] += 1
            s["m"].mul_(b1).add_((1 - b1) * p.grad)
            s["v"].mul_(b2).add_((1 - b2) * p.grad ** 2)
            p -= lr * (s["m"] / (1 - b1 ** s["t"])) / ((s["v"] / (1 - b2 ** s["t"])).sqrt() + eps)
            p.grad.zero_()
'''),
    ],
    "make_loader": [
        ("'batch' read as mini-batch: batch gradient descent uses the whole data set per update", '''
def make_loader(dataset, kind, batch_size=32):
    if kind == "batch":
        return DataLoader(dataset, batch_size=batch_size)
    if kind == "minibatch":
        return DataLoader(dataset, batch_size=batch_size, shuffle=True)
    if kind == "stochastic":
        return DataLoader(dataset, batch_size=1, shuffle=True)
    raise ValueError(kind)
'''),
        ("no shuffling: every epoch visits the samples in the same order", '''
def make_loader(dataset, kind, batch_size=32):
    if kind == "batch":
        return DataLoader(dataset, batch_size=len(dataset))
    if kind == "minibatch":
        return DataLoader(dataset, batch_size=batch_size)
    if kind == "stochastic":
        return DataLoader(dataset, batch_size=1)
    raise ValueError(kind)
'''),
        ("an unknown kind silently falls back to a default loader", '''
def make_loader(dataset, kind, batch_size=32):
    if kind == "batch":
        return DataLoader(dataset, batch_size=len(dataset))
    if kind == "stochastic":
        return DataLoader(dataset, batch_size=1, shuffle=True)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True)
'''),
    ],
    "make_optimizer": [
        ("'momentum' built without momentum=0.9", '''
def make_optimizer(name, params, lr):
    if name in ("sgd", "momentum"):
        return torch.optim.SGD(params, lr=lr)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(name)
'''),
        ("Adadelta built without lr: it silently uses its default of 1.0", '''
def make_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adadelta":
        return torch.optim.Adadelta(params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(name)
'''),
        ("an unknown name silently falls back to SGD instead of raising ValueError", '''
def make_optimizer(name, params, lr):
    optimizers = {
        "sgd": lambda: torch.optim.SGD(params, lr=lr),
        "momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=lr),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr),
        "adadelta": lambda: torch.optim.Adadelta(params, lr=lr),
        "adam": lambda: torch.optim.Adam(params, lr=lr),
    }
    return optimizers.get(name, optimizers["sgd"])()
'''),
    ],
    "momentum_step": [
        ("velocity as a moving average: (1 - momentum) on the gradient is not PyTorch's rule", '''
def momentum_step(params, velocities, lr, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_((1 - momentum) * p.grad)
            p -= lr * v
'''),
        ("velocity rebound instead of updated in place: momentum is lost after every step", '''
def momentum_step(params, velocities, lr, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v = momentum * v + p.grad
            p -= lr * v
'''),
        ("the parameter steps along the gradient, not the velocity", '''
def momentum_step(params, velocities, lr, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_(p.grad)
            p -= lr * p.grad
'''),
    ],
    "train_fashion_model": [
        ("the raw 0-255 values fed to SGD with momentum (cast to float, not scaled): the first steps blow up",
         _fashion(scale="x.float()", opt="torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)")),
        ("a ReLU after the last Linear: negative logits are cut to 0", _fashion(last=", nn.ReLU()")),
        ("a Softmax at the end: the model returns probabilities, and CrossEntropyLoss applies softmax twice", _fashion(last=", nn.Softmax(dim=1)")),
        ("over budget: a whole epoch (94 steps) instead of at most 50", _fashion(steps=94)),
        ("plain SGD with a small learning rate: too slow for the budget", _fashion(opt="torch.optim.SGD(model.parameters(), lr=0.01)")),
        ("the scaling done in the loop, not in the model: the grader's raw images are not scaled", '''
def train_fashion_model(train_loader, device):
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    steps = 0
    for X, y in train_loader:
        X, y = X.to(device).float() / 255, y.to(device)
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
        steps += 1
        if steps == 50:
            break
    return model
'''),
    ],
}

# Device mistakes: right on a CPU-only machine, wrong where CUDA exists (joined by course.testing.load_wrong).
CUDA_ONLY = {
    "train_loop": [
        ("the batches are never moved to the model's device", _train_loop().replace("X, y = X.to(device), y.to(device)", "pass")),
    ],
    "test_loop": [
        ("the batches are never moved to the model's device", _test_loop().replace("X, y = X.to(device), y.to(device)", "pass")),
    ],
    "bce_with_logits": [
        ("a zeros tensor made on the CPU, whatever the logits' device", '''
def bce_with_logits(logits, targets):
    zeros = torch.zeros(logits.shape, dtype=logits.dtype)
    return (torch.logaddexp(zeros, logits) - targets * logits).mean()
'''),
    ],
}
