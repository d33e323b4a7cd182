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
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); every .grad left as it was."""
    h = torch.relu(layer1(x))
    loss = F.mse_loss(layer2(h), target)
    loss.backward()
    return h.grad
'''),
        ("retain_grad + backward: right values, but .grad left on every parameter", '''
def hidden_grad(layer1, layer2, x, target):
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); every .grad left as it was."""
    h = torch.relu(layer1(x))
    h.retain_grad()
    loss = F.mse_loss(layer2(h), target)
    loss.backward()
    return h.grad
'''),
        ("gradient with respect to the pre-activation (before the ReLU)", '''
def hidden_grad(layer1, layer2, x, target):
    """Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); every .grad left as it was."""
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
    """One in-place gradient-descent step on params (skipping grad None), then clear the gradients."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
'''),
        ("update tracked by autograd: in-place change of a leaf outside no_grad", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then clear the gradients."""
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad
            p.grad = None
'''),
        ("p = p - lr * p.grad: a new tracked tensor, the parameter never changes", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then clear the gradients."""
    for p in params:
        if p.grad is not None:
            p.grad, g = None, p.grad
            p = p - lr * g
'''),
        ("sign of the step flipped: gradient ascent", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then clear the gradients."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
                p.grad = None
'''),
        ("no check for grad None: crashes on frozen or unused parameters", '''
def sgd_step(params, lr):
    """One in-place gradient-descent step on params (skipping grad None), then clear the gradients."""
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

# Procedure and edge-input mistakes, and the exercises added in the second edition.
_MORE = {
    "grad_of": [
        ("switched requires_grad on and off again on the caller's x: a parameter comes back frozen", """
def grad_of(f, x):
    \"\"\"Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched.\"\"\"
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    x.requires_grad_(False)
    return grad
"""),
        ("returned the tuple that torch.autograd.grad gives", """
def grad_of(f, x):
    \"\"\"Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched.\"\"\"
    x_leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(x_leaf), x_leaf)
"""),
        ("a float32 copy of x: the gradient of a float64 x comes back float32", """
def grad_of(f, x):
    \"\"\"Return df/dx at x (a tensor shaped like x, no graph), leaving x untouched.\"\"\"
    x_leaf = x.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x_leaf), x_leaf)
    return grad
"""),
    ],
    "freeze_except": [
        ("overlapping names counted twice: summed numel submodule by submodule", """
def freeze_except(model, trainable):
    \"\"\"Freeze every parameter except those in the named submodules; return the number of trainable numbers.\"\"\"
    model.requires_grad_(False)
    total = 0
    for name in trainable:
        sub = model.get_submodule(name)
        sub.requires_grad_(True)
        total += sum(p.numel() for p in sub.parameters())
    return total
"""),
        ("called model.eval() to 'freeze' it: eval mode is not freezing, and the caller's mode changed", """
def freeze_except(model, trainable):
    \"\"\"Freeze every parameter except those in the named submodules; return the number of trainable numbers.\"\"\"
    model.eval()
    model.requires_grad_(False)
    for name in trainable:
        model.get_submodule(name).requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
"""),
    ],
    "round_ste": [
        ("floor(x + 0.5): halves go up, not to the even neighbour as torch.round does", """
def round_ste(x):
    \"\"\"Value round(x), gradient 1 with respect to x (straight-through estimator).\"\"\"
    return x + (torch.floor(x + 0.5) - x).detach()
"""),
        ("rounded x itself through .data: the caller's x is changed", """
def round_ste(x):
    \"\"\"Value round(x), gradient 1 with respect to x (straight-through estimator).\"\"\"
    x.data.round_()
    return x
"""),
    ],
    "hidden_grad": [
        ("backward, then cleared the parameters' .grad: the caller's own gradients are lost", """
def hidden_grad(layer1, layer2, x, target):
    \"\"\"Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); every .grad left as it was.\"\"\"
    h = torch.relu(layer1(x))
    h.retain_grad()
    F.mse_loss(layer2(h), target).backward()
    for p in list(layer1.parameters()) + list(layer2.parameters()):
        p.grad = None
    return h.grad
"""),
        ("create_graph=True: the gradient comes back with a graph attached", """
def hidden_grad(layer1, layer2, x, target):
    \"\"\"Return d loss / d h for h = relu(layer1(x)), loss = mse(layer2(h), target); every .grad left as it was.\"\"\"
    h = torch.relu(layer1(x))
    loss = F.mse_loss(layer2(h), target)
    (grad,) = torch.autograd.grad(loss, h, create_graph=True)
    return grad
"""),
    ],
    "mse_grad": [
        ("divided by N * D (X.numel()) instead of N", """
def mse_grad(X, y, w):
    \"\"\"Gradient of mean((X @ w - y) ** 2) with respect to w, from the formula (no autograd).\"\"\"
    return 2 * X.T @ (X @ w - y) / X.numel()
"""),
        ("the gradient of the sum, not the mean: no 1/N", """
def mse_grad(X, y, w):
    \"\"\"Gradient of mean((X @ w - y) ** 2) with respect to w, from the formula (no autograd).\"\"\"
    residual = X @ w - y
    return 2 * X.T @ residual
"""),
    ],
    "vjp": [
        ("autograd.grad on the caller's x itself: fails for an x that does not require grad", """
def vjp(f, x, v):
    \"\"\"Return v^T J (shaped like x, no graph) for J the Jacobian of f at x; x is left untouched.\"\"\"
    (grad,) = torch.autograd.grad(f(x), x, grad_outputs=v)
    return grad
"""),
        ("backward(v) on the caller's x, then tidied up: a parameter loses its gradient and comes back frozen", """
def vjp(f, x, v):
    \"\"\"Return v^T J (shaped like x, no graph) for J the Jacobian of f at x; x is left untouched.\"\"\"
    x.requires_grad_(True)
    f(x).backward(v)
    grad = x.grad
    x.grad = None
    x.requires_grad_(False)
    return grad
"""),
    ],
    "consistency_loss": [
        ("detached the clean input, not the clean prediction: the parameters still get the target's gradient", """
def consistency_loss(model, x_clean, x_noisy):
    \"\"\"MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient).\"\"\"
    return F.mse_loss(model(x_noisy), model(x_clean.detach()))
"""),
        ("switched the model to eval() for the target and left it there", """
def consistency_loss(model, x_clean, x_noisy):
    \"\"\"MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient).\"\"\"
    model.eval()
    with torch.no_grad():
        target = model(x_clean)
    return F.mse_loss(model(x_noisy), target)
"""),
        ("target made under inference_mode: an inference tensor cannot be saved for backward", """
def consistency_loss(model, x_clean, x_noisy):
    \"\"\"MSE between model(x_noisy) and model(x_clean), the latter a fixed target (no gradient).\"\"\"
    with torch.inference_mode():
        target = model(x_clean)
    return F.mse_loss(model(x_noisy), target)
"""),
    ],
    "sgd_step": [
        ("legacy .data update: autograd never sees the change (version counter unchanged)", """
def sgd_step(params, lr):
    \"\"\"One in-place gradient-descent step on params (skipping grad None), then clear the gradients.\"\"\"
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad
            p.grad = None
"""),
        ("two passes over params: the second finds model.parameters() used up, so no gradient is cleared", """
def sgd_step(params, lr):
    \"\"\"One in-place gradient-descent step on params (skipping grad None), then clear the gradients.\"\"\"
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
    for p in params:
        p.grad = None
"""),
        ("p.data = p - lr * p.grad: new storage, not an in-place update", """
def sgd_step(params, lr):
    \"\"\"One in-place gradient-descent step on params (skipping grad None), then clear the gradients.\"\"\"
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.data = p - lr * p.grad
                p.grad = None
"""),
    ],
    "fit_line": [
        ("fixed the leaf, not the accumulation: every step adds all earlier gradients", """
def fit_line(x, y, lr, steps):
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return w, b, losses
"""),
        ("fixed the accumulation, not the leaf: .to(x) of a leaf is a tracked copy for float64 or GPU data", """
def fit_line(x, y, lr, steps):
    w = torch.zeros((), requires_grad=True).to(x)
    b = torch.zeros((), requires_grad=True).to(x)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        losses.append(loss.item())
    return w, b, losses
"""),
        ("losses kept as (detached) tensors, not Python floats", """
def fit_line(x, y, lr, steps):
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        losses.append(loss.detach())
    return w, b, losses
"""),
        ("loss recorded after the update instead of before it", """
def fit_line(x, y, lr, steps):
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(steps):
        ((w * x + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            losses.append(((w * x + b - y) ** 2).mean().item())
        w.grad = None
        b.grad = None
    return w, b, losses
"""),
    ],
    "accumulate_grads": [
        ("total += loss keeps a tensor (and every micro-batch's graph) instead of a float", """
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    \"\"\"Fill .grad with the full-batch gradient using micro-batches; return the full-batch loss (float).\"\"\"
    model.zero_grad()
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, micro_batch):
        xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        loss = loss_fn(model(xb), yb) * (xb.shape[0] / n)
        loss.backward()
        total += loss
    return total
"""),
        ("right gradients, but the loss returned is the plain average of micro-batch means", """
def accumulate_grads(model, loss_fn, X, y, micro_batch):
    \"\"\"Fill .grad with the full-batch gradient using micro-batches; return the full-batch loss (float).\"\"\"
    model.zero_grad()
    n = X.shape[0]
    means = []
    for start in range(0, n, micro_batch):
        xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        loss = loss_fn(model(xb), yb)
        (loss * (xb.shape[0] / n)).backward()
        means.append(loss.item())
    return sum(means) / len(means)
"""),
    ],
    "numerical_grad": [
        ("result made with torch.zeros(x.shape): float32 for a float64 x", """
def numerical_grad(f, x, eps=1e-6):
    \"\"\"Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x).\"\"\"
    x_copy = x.detach().clone()
    flat = x_copy.view(-1)
    grad = torch.zeros(x.shape, device=x.device)
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
"""),
        ("perturbed x itself out of place, with autograd on: for a parameter the result carries a graph", """
def numerical_grad(f, x, eps=1e-6):
    \"\"\"Central-difference estimate of the gradient of scalar f at x (same shape, dtype, device as x).\"\"\"
    grad = torch.zeros_like(x)
    flat = grad.view(-1)
    for i in range(x.numel()):
        e = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
        e[i] = eps
        e = e.view_as(x)
        flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad
"""),
    ],
    "task_grads": [
        ("no retain_graph: the second loss cannot go back through the shared part of the graph", """
def task_grads(params, losses):
    per_loss = []
    for loss in losses:
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        per_loss.append([torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)])
    with torch.no_grad():
        for i, p in enumerate(params):
            total = sum(task[i] for task in per_loss)
            p.grad = total.clone() if p.grad is None else p.grad + total
    return per_loss
"""),
        ("cleared the caller's .grad first, then read each share from .grad: earlier gradients are lost", """
def task_grads(params, losses):
    for p in params:
        p.grad = None
    per_loss, seen = [], [torch.zeros_like(p) for p in params]
    for k, loss in enumerate(losses):
        loss.backward(retain_graph=k < len(losses) - 1)
        now = [torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in params]
        per_loss.append([a - b for a, b in zip(now, seen)])
        seen = now
    return per_loss
"""),
        ("read .grad after each backward without subtracting: each share includes the earlier losses'", """
def task_grads(params, losses):
    per_loss = []
    for k, loss in enumerate(losses):
        loss.backward(retain_graph=k < len(losses) - 1)
        per_loss.append([torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in params])
    return per_loss
"""),
        ("backward once per loss and added the per-loss gradients too: the total is counted twice", """
def task_grads(params, losses):
    per_loss = []
    for loss in losses:
        grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        per_loss.append([torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)])
        loss.backward(retain_graph=True)
    with torch.no_grad():
        for i, p in enumerate(params):
            p.grad += sum(task[i] for task in per_loss)
    return per_loss
"""),
        ("None for a parameter a loss does not use, instead of a zero gradient", """
def task_grads(params, losses):
    per_loss = []
    for loss in losses:
        per_loss.append(list(torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)))
    with torch.no_grad():
        for i, p in enumerate(params):
            total = sum(task[i] for task in per_loss if task[i] is not None)
            p.grad = total.clone() if p.grad is None else p.grad + total
    return per_loss
"""),
    ],
}
for _sid, _items in _MORE.items():
    WRONG.setdefault(_sid, []).extend(_items)

CUDA_ONLY = {
    "fit_line": [
        ("parameters made with x's dtype but not its device: w and b stay on the CPU", """
def fit_line(x, y, lr, steps):
    w = torch.zeros((), dtype=x.dtype, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        losses.append(loss.item())
    return w, b, losses
"""),
    ],
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
