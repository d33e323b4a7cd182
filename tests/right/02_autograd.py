"""Correct alternatives for 02_autograd: written differently from the reference, right by the task text.

Each must pass its own test cell; a test that fails one of them is a defect of the test.
"""

RIGHT = {
    "grad_of": [
        ("backward() on a detached clone, reading the clone's .grad", '''
def grad_of(f, x):
    leaf = x.detach().clone()
    leaf.requires_grad = True
    f(leaf).backward()
    return leaf.grad
'''),
        ("torch.func.grad of f, at a detached x", '''
def grad_of(f, x):
    return torch.func.grad(f)(x.detach())
'''),
    ],
    "freeze_except": [
        ("matching parameter names against the submodule prefixes", '''
def freeze_except(model, trainable):
    count = 0
    for name, p in model.named_parameters():
        keep = any(name.startswith(t + ".") for t in trainable)
        p.requires_grad_(keep)
        if keep:
            count += p.numel()
    return count
'''),
        ("a set of the kept parameters' ids, requires_grad set one parameter at a time", '''
def freeze_except(model, trainable):
    keep = {id(p) for t in trainable for p in model.get_submodule(t).parameters()}
    total = 0
    for p in model.parameters():
        p.requires_grad = id(p) in keep
        if p.requires_grad:
            total += p.numel()
    return int(total)
'''),
    ],
    "round_ste": [
        ("the correction computed under no_grad", '''
def round_ste(x):
    with torch.no_grad():
        delta = torch.round(x) - x
    return x + delta
'''),
        ("a custom autograd.Function whose backward is the identity", '''
class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def round_ste(x):
    return _RoundSTE.apply(x)
'''),
        ("x minus a detached remainder", '''
def round_ste(x):
    return x - (x - torch.round(x)).detach()
'''),
    ],
    "hidden_grad": [
        ("backward(inputs=[h]): only h receives a gradient", '''
def hidden_grad(layer1, layer2, x, target):
    h = torch.relu(layer1(x))
    loss = F.mse_loss(layer2(h), target)
    loss.backward(inputs=[h])
    return h.grad
'''),
        ("the chain rule by hand, under no_grad", '''
def hidden_grad(layer1, layer2, x, target):
    with torch.no_grad():
        out = layer2(torch.relu(layer1(x)))
        d_out = 2 * (out - target) / out.numel()
        return d_out @ layer2.weight
'''),
    ],
    "mse_grad": [
        ("broadcasting and a mean over the rows", '''
def mse_grad(X, y, w):
    r = (X @ w - y).unsqueeze(1)
    return 2 * (X * r).mean(dim=0)
'''),
        ("a loop over the examples", '''
def mse_grad(X, y, w):
    g = torch.zeros_like(w)
    for n in range(X.shape[0]):
        g = g + 2 * (X[n] @ w - y[n]) * X[n]
    return g / X.shape[0]
'''),
        ("einsum", '''
def mse_grad(X, y, w):
    return 2 * torch.einsum("nd,n->d", X, X @ w - y) / len(y)
'''),
    ],
    "vjp": [
        ("backward() of sum(v * y) on a detached clone", '''
def vjp(f, x, v):
    leaf = x.detach().clone().requires_grad_()
    (f(leaf) * v).sum().backward()
    return leaf.grad
'''),
        ("torch.func.vjp", '''
def vjp(f, x, v):
    _, pullback = torch.func.vjp(f, x.detach())
    (g,) = pullback(v)
    return g
'''),
        ("y.backward(v)", '''
def vjp(f, x, v):
    leaf = x.detach().requires_grad_()
    y = f(leaf)
    y.backward(v)
    return leaf.grad
'''),
    ],
    "consistency_loss": [
        ("target under no_grad, the squared error written out", '''
def consistency_loss(model, x_clean, x_noisy):
    with torch.no_grad():
        target = model(x_clean)
    return ((model(x_noisy) - target) ** 2).mean()
'''),
        ("nn.MSELoss with a detached target, the noisy prediction first", '''
def consistency_loss(model, x_clean, x_noisy):
    prediction = model(x_noisy)
    return nn.MSELoss()(prediction, model(x_clean).detach())
'''),
    ],
    "sgd_step": [
        ("torch.optim.SGD: step, then zero_grad", '''
def sgd_step(params, lr):
    opt = torch.optim.SGD(list(params), lr=lr)
    opt.step()
    opt.zero_grad()
'''),
        ("a list first, then two loops: add_ with alpha, then grads filled with zeros", '''
def sgd_step(params, lr):
    params = list(params)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
    for p in params:
        if p.grad is not None:
            p.grad.zero_()
'''),
        ("copy_ of the new value under no_grad", '''
def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        with torch.no_grad():
            p.copy_(p - lr * p.grad)
        p.grad = None
'''),
    ],
    "fit_line": [
        ("torch.optim.SGD and F.mse_loss", '''
def fit_line(x, y, lr, steps):
    w = torch.zeros((), dtype=x.dtype, device=x.device).requires_grad_()
    b = torch.zeros_like(w).requires_grad_()
    opt = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(w * x + b, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses
'''),
        ("torch.autograd.grad and new detached tensors each step", '''
def fit_line(x, y, lr, steps):
    w = x.new_zeros(())
    b = x.new_zeros(())
    losses = []
    for _ in range(steps):
        w.requires_grad_()
        b.requires_grad_()
        loss = ((w * x + b - y) ** 2).mean()
        gw, gb = torch.autograd.grad(loss, (w, b))
        losses.append(loss.item())
        w, b = (w - lr * gw).detach(), (b - lr * gb).detach()
    return w, b, losses
'''),
        (".to(x) before requires_grad_(), gradients zeroed in place", '''
def fit_line(x, y, lr, steps):
    w = torch.zeros(()).to(x).requires_grad_()
    b = torch.zeros(()).to(x).requires_grad_()
    losses = []
    for _ in range(steps):
        loss = (w * x + b - y).pow(2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
            w.grad.zero_()
            b.grad.zero_()
    return w, b, losses
'''),
    ],
    "accumulate_grads": [
        ("X.split, grads set to None, the loss summed with weights", '''
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    for p in model.parameters():
        p.grad = None
    n = len(X)
    total = 0.0
    for xb, yb in zip(X.split(micro_batch), y.split(micro_batch)):
        share = len(xb) / n
        loss = loss_fn(model(xb), yb)
        (loss * share).backward()
        total += share * loss.item()
    return total
'''),
        ("torch.autograd.grad per micro-batch, summed by hand into .grad", '''
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    params = [p for p in model.parameters() if p.requires_grad]
    sums = [torch.zeros_like(p) for p in params]
    n = X.shape[0]
    total = 0.0
    for s in range(0, n, micro_batch):
        xb, yb = X[s:s + micro_batch], y[s:s + micro_batch]
        loss = loss_fn(model(xb), yb) * len(xb) / n
        for acc, g in zip(sums, torch.autograd.grad(loss, params)):
            acc += g
        total += loss.item()
    for p, g in zip(params, sums):
        p.grad = g
    return total
'''),
    ],
    "numerical_grad": [
        ("out-of-place basis vectors, results stacked", '''
def numerical_grad(f, x, eps=1e-6):
    base = x.detach()
    values = []
    with torch.no_grad():
        for i in range(base.numel()):
            e = torch.zeros(base.numel(), dtype=base.dtype, device=base.device)
            e[i] = eps
            e = e.reshape(base.shape)
            values.append((f(base + e) - f(base - e)) / (2 * eps))
    return torch.stack(values).reshape(base.shape)
'''),
        ("every multi-index with itertools.product, Python floats", '''
import itertools


def numerical_grad(f, x, eps=1e-6):
    x0 = x.detach().clone()
    grad = torch.empty_like(x0)
    with torch.no_grad():
        for idx in itertools.product(*[range(s) for s in x0.shape]):
            keep = x0[idx].item()
            x0[idx] = keep + eps
            up = f(x0).item()
            x0[idx] = keep - eps
            down = f(x0).item()
            x0[idx] = keep
            grad[idx] = (up - down) / (2 * eps)
    return grad
'''),
    ],
    "task_grads": [
        ("backward per loss (retain_graph on all but the last), shares read as differences of .grad", '''
def task_grads(params, losses):
    old = [p.grad for p in params]
    for p in params:
        p.grad = None
    per_loss, before = [], [torch.zeros_like(p) for p in params]
    for k, loss in enumerate(losses):
        loss.backward(retain_graph=k < len(losses) - 1)
        now = [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in params]
        per_loss.append([a - b for a, b in zip(now, before)])
        before = now
    for p, o in zip(params, old):
        if o is not None:
            p.grad = p.grad + o
    return per_loss
'''),
        ("tuples of gradients, the total stacked and added in place", '''
def task_grads(params, losses):
    out = []
    for loss in losses:
        gs = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        out.append(tuple(torch.zeros_like(p) if g is None else g for p, g in zip(params, gs)))
    with torch.no_grad():
        for j, p in enumerate(params):
            s = torch.stack([t[j] for t in out]).sum(0)
            if p.grad is None:
                p.grad = s
            else:
                p.grad.add_(s)
    return out
'''),
        ("autograd.grad with materialize_grads, then one backward of the sum", '''
def task_grads(params, losses):
    per_loss = [list(torch.autograd.grad(loss, params, retain_graph=True, materialize_grads=True)) for loss in losses]
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    total.backward()
    return per_loss
'''),
    ],
}
