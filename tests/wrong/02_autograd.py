"""Known-wrong solutions for 02_autograd: mistakes learners really make.

``WRONG`` holds the mistakes that fail on any machine. ``CUDA_ONLY`` holds device mistakes
(a tensor left on the CPU) that are correct on a CPU-only machine and can only fail where
CUDA exists; course.testing adds them to ``WRONG`` there, so a GPU run checks them too.
"""

WRONG = {
    "grad_of": [
        ("switched on requires_grad of the caller's x and read x.grad", '''
def grad_of(f, x):
    """Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched."""
    x.requires_grad_(True)
    f(x).backward()
    return x.grad
'''),
        (".grad read from a non-leaf: clone() of a parameter stays in its graph", '''
def grad_of(f, x):
    """Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched."""
    x_copy = x.clone().requires_grad_(True)
    f(x_copy).backward()
    return x_copy.grad
'''),
        ("create_graph=True: the gradient comes back with a graph attached", '''
def grad_of(f, x):
    """Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched."""
    x_leaf = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x_leaf), x_leaf, create_graph=True)
    return grad
'''),
    ],
    "hidden_grad": [
        (".grad read from a non-leaf: h.grad stays None after backward()", '''
def hidden_grad(layer1, layer2, x, target):
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); no .grad left behind."""
    h = torch.relu(layer1(x))
    loss = F.mse_loss(layer2(h), target)
    loss.backward()
    return h.grad
'''),
        ("retain_grad + backward: right values, but .grad left on every parameter", '''
def hidden_grad(layer1, layer2, x, target):
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); no .grad left behind."""
    h = torch.relu(layer1(x))
    h.retain_grad()
    loss = F.mse_loss(layer2(h), target)
    loss.backward()
    return h.grad
'''),
        ("gradient with respect to the pre-activation (before the ReLU)", '''
def hidden_grad(layer1, layer2, x, target):
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); no .grad left behind."""
    z = layer1(x)
    loss = F.mse_loss(layer2(torch.relu(z)), target)
    (grad,) = torch.autograd.grad(loss, z)
    return grad
'''),
    ],
    "mse_grad": [
        ("forgot the factor 2 from the square", '''
def mse_grad(X, y, w):
    """Gradient of mean((X @ w - y) ** 2) with respect to w, from the formula (no autograd)."""
    return X.T @ (X @ w - y) / X.shape[0]
'''),
        ("sign flipped: residual y - Xw", '''
def mse_grad(X, y, w):
    """Gradient of mean((X @ w - y) ** 2) with respect to w, from the formula (no autograd)."""
    return 2.0 / X.shape[0] * (X.T @ (y - X @ w))
'''),
        ("used autograd: fails where autograd is off (inference_mode)", '''
def mse_grad(X, y, w):
    """Gradient of mean((X @ w - y) ** 2) with respect to w, from the formula (no autograd)."""
    w = w.detach().requires_grad_(True)
    ((X @ w - y) ** 2).mean().backward()
    return w.grad
'''),
    ],
    "vjp": [
        ("ignored v: the gradient of y.sum()", '''
def vjp(f, x, v):
    """Return v^T J (shaped like x, no graph) for J the Jacobian of f at x; x is left untouched."""
    x_leaf = x.detach().requires_grad_(True)
    f(x_leaf).sum().backward()
    return x_leaf.grad
'''),
        ("multiplied by v after taking the gradient of y.sum() (right only for element-wise f)", '''
def vjp(f, x, v):
    """Return v^T J (shaped like x, no graph) for J the Jacobian of f at x; x is left untouched."""
    x_leaf = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x_leaf).sum(), x_leaf)
    return v * grad
'''),
        ("J v instead of v^T J", '''
def vjp(f, x, v):
    """Return v^T J (shaped like x, no graph) for J the Jacobian of f at x; x is left untouched."""
    J = torch.autograd.functional.jacobian(f, x)
    J = J.reshape(v.numel(), x.numel())
    return (J @ v.reshape(-1)).reshape(x.shape)
'''),
    ],
    "numerical_grad": [
        ("forward difference (f(x + eps) - f(x)) / eps", '''
def numerical_grad(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x)."""
    x_copy = x.detach().clone()
    flat = x_copy.view(-1)
    grad = torch.zeros_like(x_copy)
    with torch.no_grad():
        f0 = f(x_copy)
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + eps
            grad.view(-1)[i] = (f(x_copy) - f0) / eps
            flat[i] = original
    return grad
'''),
        ("divided by eps instead of 2 eps", '''
def numerical_grad(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x)."""
    x_copy = x.detach().clone()
    flat = x_copy.view(-1)
    grad = torch.zeros_like(x_copy)
    with torch.no_grad():
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + eps
            f_plus = f(x_copy)
            flat[i] = original - eps
            f_minus = f(x_copy)
            flat[i] = original
            grad.view(-1)[i] = (f_plus - f_minus) / eps
    return grad
'''),
        ("looped over len(x): x[i] += eps moves a whole row of a 2-D x", '''
def numerical_grad(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x)."""
    x_copy = x.detach().clone()
    grad = torch.zeros_like(x_copy)
    with torch.no_grad():
        for i in range(len(x_copy)):
            x_copy[i] += eps
            f_plus = f(x_copy)
            x_copy[i] -= 2 * eps
            f_minus = f(x_copy)
            x_copy[i] += eps
            grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    ],
    "sgd_step": [
        ("gradients not zeroed: the next backward() adds to them", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then zero the gradients."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
'''),
        ("update tracked by autograd: in-place change of a leaf outside no_grad", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then zero the gradients."""
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad
            p.grad = None
'''),
        ("p = p - lr * p.grad: a new tracked tensor, the parameter never changes", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then zero the gradients."""
    for p in params:
        if p.grad is not None:
            p.grad, g = None, p.grad
            p = p - lr * g
'''),
        ("sign of the step flipped: gradient ascent", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then zero the gradients."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
                p.grad = None
'''),
        ("no check for grad None: crashes on frozen or unused parameters", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then zero the gradients."""
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
'''),
    ],
    "accumulate_grads": [
        ("grads not zeroed first: stale gradients are added in", '''
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    """Fill .grad with the full-batch gradient using micro-batches; return the full-batch loss (float)."""
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, micro_batch):
        xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        loss = loss_fn(model(xb), yb) * (xb.shape[0] / n)
        loss.backward()
        total += loss.item()
    return total
'''),
        ("divided by the number of micro-batches: wrong when the last one is smaller", '''
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    """Fill .grad with the full-batch gradient using micro-batches; return the full-batch loss (float)."""
    model.zero_grad()
    n = X.shape[0]
    steps = (n + micro_batch - 1) // micro_batch
    total = 0.0
    for start in range(0, n, micro_batch):
        loss = loss_fn(model(X[start:start + micro_batch]), y[start:start + micro_batch]) / steps
        loss.backward()
        total += loss.item()
    return total
'''),
        ("zero_grad inside the loop: only the last micro-batch is left", '''
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    """Fill .grad with the full-batch gradient using micro-batches; return the full-batch loss (float)."""
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, micro_batch):
        model.zero_grad()
        xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        loss = loss_fn(model(xb), yb) * (xb.shape[0] / n)
        loss.backward()
        total += loss.item()
    return total
'''),
    ],
    "freeze_except": [
        ("counted parameter tensors, not numbers", '''
def freeze_except(model, trainable):
    """Freeze every parameter except those in the named submodules; return the number of trainable numbers."""
    model.requires_grad_(False)
    for name in trainable:
        model.get_submodule(name).requires_grad_(True)
    return sum(1 for p in model.parameters() if p.requires_grad)
'''),
        ("counted every parameter, frozen ones too", '''
def freeze_except(model, trainable):
    """Freeze every parameter except those in the named submodules; return the number of trainable numbers."""
    model.requires_grad_(False)
    for name in trainable:
        model.get_submodule(name).requires_grad_(True)
    return sum(p.numel() for p in model.parameters())
'''),
        ("only froze the others: kept parts that were frozen before stay frozen", '''
def freeze_except(model, trainable):
    """Freeze every parameter except those in the named submodules; return the number of trainable numbers."""
    keep = {id(p) for name in trainable for p in model.get_submodule(name).parameters()}
    for p in model.parameters():
        if id(p) not in keep:
            p.requires_grad_(False)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
'''),
    ],
    "round_ste": [
        ("detach in the wrong place: around everything, so no gradient at all", '''
def round_ste(x):
    """Value round(x), gradient 1 with respect to x (straight-through estimator)."""
    return (x + torch.round(x) - x).detach()
'''),
        ("detach in the wrong place: on x, so the gradient is -1", '''
def round_ste(x):
    """Value round(x), gradient 1 with respect to x (straight-through estimator)."""
    return x.detach() + (torch.round(x) - x)
'''),
        ("plain torch.round: gradient zero", '''
def round_ste(x):
    """Value round(x), gradient 1 with respect to x (straight-through estimator)."""
    return torch.round(x)
'''),
    ],
    "consistency_loss": [
        ("no detach: the target is trained too", '''
def consistency_loss(model, x_clean, x_noisy):
    """MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient)."""
    return F.mse_loss(model(x_noisy), model(x_clean))
'''),
        ("detach in the wrong place: the prediction is cut, the target trained", '''
def consistency_loss(model, x_clean, x_noisy):
    """MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient)."""
    return F.mse_loss(model(x_noisy).detach(), model(x_clean))
'''),
        ("everything under no_grad: the loss cannot train anything", '''
def consistency_loss(model, x_clean, x_noisy):
    """MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient)."""
    with torch.no_grad():
        return F.mse_loss(model(x_noisy), model(x_clean))
'''),
    ],
}

CUDA_ONLY = {
    "numerical_grad": [
        ("result made with torch.zeros(x.shape): always on the CPU", '''
def numerical_grad(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x)."""
    x_copy = x.detach().clone()
    flat = x_copy.view(-1)
    grad = torch.zeros(x.shape, dtype=x.dtype)
    with torch.no_grad():
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + eps
            f_plus = f(x_copy)
            flat[i] = original - eps
            f_minus = f(x_copy)
            flat[i] = original
            grad.view(-1)[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''),
    ],
}
