"""Correct alternatives for 05_optimizers: written differently from the reference, each must pass its test."""

RIGHT = {
    "make_loader": [
        ("if/elif with an explicit RandomSampler", '''
def make_loader(dataset, kind, batch_size=32):
    from torch.utils.data import RandomSampler
    if kind == "batch":
        return DataLoader(dataset, batch_size=len(dataset))
    elif kind == "minibatch":
        return DataLoader(dataset, batch_size=batch_size, sampler=RandomSampler(dataset))
    elif kind == "stochastic":
        return DataLoader(dataset, batch_size=1, sampler=RandomSampler(dataset))
    else:
        raise ValueError(kind)
'''),
        ("match statement, batch shuffled too", '''
def make_loader(dataset, kind, batch_size=32):
    match kind:
        case "batch":
            size = len(dataset)
        case "minibatch":
            size = batch_size
        case "stochastic":
            size = 1
        case _:
            raise ValueError(f"bad kind {kind}")
    return DataLoader(dataset, batch_size=size, shuffle=True, drop_last=False)
'''),
    ],
    "make_optimizer": [
        ("if chain, params turned into a list first", '''
def make_optimizer(name, params, lr):
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
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
        ("a dict of lambdas, KeyError turned into ValueError", '''
def make_optimizer(name, params, lr):
    makers = {
        "sgd": lambda: torch.optim.SGD(params, lr),
        "momentum": lambda: torch.optim.SGD(params, lr, momentum=0.9),
        "adagrad": lambda: torch.optim.Adagrad(params, lr),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr),
        "adadelta": lambda: torch.optim.Adadelta(params, lr),
        "adam": lambda: torch.optim.Adam(params, lr),
    }
    try:
        return makers[name]()
    except KeyError:
        raise ValueError(f"unknown optimizer {name}") from None
'''),
    ],
    "largest_stable_lr": [
        ("through the largest singular value of X: lambda_max = 2 sigma_max^2 / N", '''
def largest_stable_lr(X):
    sigma = torch.linalg.svdvals(X)[0]
    return float(X.shape[0] / sigma ** 2)
'''),
        ("the spectral norm of X^T X, in float64 on the CPU", '''
def largest_stable_lr(X):
    A = X.detach().cpu().double()
    lam = torch.linalg.matrix_norm(2 * A.T @ A / len(A), ord=2)
    return 2 / lam.item()
'''),
        ("power iteration on the Hessian", '''
def largest_stable_lr(X):
    A = X.detach().cpu().double()
    H = 2 * A.T @ A / A.shape[0]
    v = torch.ones(H.shape[0], dtype=torch.float64)
    for _ in range(2000):
        v = H @ v
        v = v / v.norm()
    return 2 / float(v @ H @ v)
'''),
    ],
    "gd_update": [
        ("decay first as a multiplication, then the gradient step (the same arithmetic)", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.mul_(1 - lr * weight_decay)
                p.sub_(p.grad, alpha=lr)
'''),
        ("add_ with alpha, the step computed from a copy of p", '''
def gd_update(params, lr, weight_decay=0.0):
    for p in params:
        if p.grad is None:
            continue
        with torch.no_grad():
            d = p.grad.clone()
            if weight_decay:
                d.add_(p.detach(), alpha=weight_decay)
            p.add_(d, alpha=-lr)
    return None
'''),
        ("copy_ of the new value", '''
def gd_update(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in filter(lambda q: q.grad is not None, params):
            p.copy_(p - lr * p.grad - lr * weight_decay * p)
'''),
    ],
    "momentum_step": [
        ("copy_ of the new velocity, then sub_", '''
def momentum_step(params, velocities, lr, momentum):
    with torch.no_grad():
        for i in range(len(params)):
            velocities[i].copy_(momentum * velocities[i] + params[i].grad)
            params[i].sub_(lr * velocities[i])
'''),
        ("in-place operators *= and +=", '''
def momentum_step(params, velocities, lr, momentum):
    for p, v in zip(params, velocities):
        with torch.no_grad():
            v *= momentum
            v += p.grad
            p.add_(v, alpha=-lr)
'''),
    ],
    "bce_with_logits": [
        ("softplus(z) - y z", '''
def bce_with_logits(logits, targets):
    return (nn.functional.softplus(logits) - targets * logits).mean()
'''),
        ("with logsigmoid on both sides", '''
def bce_with_logits(logits, targets):
    F = torch.nn.functional
    ll = targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits)
    return -ll.mean()
'''),
        ("logaddexp(0, z) - y z, averaged by hand", '''
def bce_with_logits(logits, targets):
    terms = torch.logaddexp(torch.zeros_like(logits), logits) - targets * logits
    return terms.sum() / terms.numel()
'''),
    ],
    "test_loop": [
        ("all logits collected, the loss computed once on the whole set", '''
def test_loop(dataloader, model, loss_fn, device):
    model.eval()
    outs, ys = [], []
    with torch.inference_mode():
        for X, y in dataloader:
            outs.append(model(X.to(device)))
            ys.append(y.to(device))
        logits, y = torch.cat(outs), torch.cat(ys)
        loss = loss_fn(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    return acc, loss
'''),
        ("torch.no_grad as a decorator, counts with float sums", '''
@torch.no_grad()
def test_loop(dataloader, model, loss_fn, device):
    model.train(False)
    loss_sum = 0.0
    hits = 0.0
    n = 0
    for X, y in dataloader:
        y = y.to(device)
        pred = model(X.to(device))
        b = y.shape[0]
        loss_sum += float(loss_fn(pred, y)) * b
        hits += float((pred.max(dim=1).indices == y).sum())
        n += b
    return hits / n, loss_sum / n
'''),
    ],
    "train_loop": [
        ("zero_grad after the step, clipping by hand with the total norm", '''
def train_loop(dataloader, model, loss_fn, optimizer, device, max_norm=None):
    model.train()
    losses, sizes = [], []
    for X, y in dataloader:
        out = model(X.to(device))
        loss = loss_fn(out, y.to(device))
        loss.backward()
        if max_norm is not None:
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            total = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
            if total > max_norm:
                with torch.no_grad():
                    for g in grads:
                        g.mul_(max_norm / (total.item() + 1e-6))
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        sizes.append(len(y))
    return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
'''),
        ("set_to_none=False, the weighted loss summed as a tensor", '''
def train_loop(dataloader, model, loss_fn, optimizer, device, max_norm=None):
    model.train(True)
    total = torch.zeros((), dtype=torch.float64)
    count = 0
    for batch in dataloader:
        X, y = (t.to(device) for t in batch)
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(X), y)
        loss.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=max_norm, norm_type=2.0)
        optimizer.step()
        total += loss.detach().cpu().double() * y.numel()
        count += y.numel()
    return float(total / count)
'''),
    ],
    "adam_step": [
        ("state keyed by index, PyTorch's own form of the update (addcdiv with bias-corrected step size)", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    import math
    b1, b2 = betas
    for i, p in enumerate(params):
        if p.grad is None:
            continue
        if i not in state:
            state[i] = [0, torch.zeros_like(p), torch.zeros_like(p)]
        state[i][0] += 1
        t, m, v = state[i]
        with torch.no_grad():
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).add_(p.grad * p.grad, alpha=1 - b2)
            denom = (v.sqrt() / math.sqrt(1 - b2 ** t)).add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1 - b1 ** t))
'''),
        ("new tensors stored back in the dict each step, keyed by id", '''
def adam_step(params, state, lr, betas=(0.9, 0.999), eps=1e-8):
    for p in params:
        if p.grad is None:
            continue
        key = id(p)
        t, m, v = state.get(key, (0, 0.0, 0.0))
        g = p.grad.detach()
        t = t + 1
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g ** 2
        state[key] = (t, m, v)
        update = lr * (m / (1 - betas[0] ** t)) / (torch.sqrt(v / (1 - betas[1] ** t)) + eps)
        with torch.no_grad():
            p -= update
'''),
    ],
    "train_fashion_model": [
        ("a Module that scales in forward, NAdam, next() on one iterator 50 times", '''
def train_fashion_model(train_loader, device):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(784, 128)
            self.out = nn.Linear(128, 10)

        def forward(self, x):
            x = x.reshape(len(x), -1).to(torch.float32).div(255.0)
            return self.out(torch.relu(self.hidden(x)))

    model = Net().to(device)
    opt = torch.optim.NAdam(model.parameters(), lr=3e-3)
    it = iter(train_loader)
    for _ in range(50):
        X, y = next(it)
        loss = nn.functional.cross_entropy(model(X.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model
'''),
        ("standardised inputs inside the model, Adam, itertools.islice", '''
def train_fashion_model(train_loader, device):
    import itertools

    class Standardise(nn.Module):
        def forward(self, x):
            return (x.float() / 255 - 0.2) / 0.3

    model = nn.Sequential(Standardise(), nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for X, y in itertools.islice(train_loader, 40):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X.to(device)), y.to(device)).backward()
        opt.step()
    return model.eval()
'''),
    ],
}
