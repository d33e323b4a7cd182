"""Known-wrong solutions for 05_optimizers: mistakes learners really make."""

WRONG = {
    "fit_linear_regression": [
        ("zero_grad missing: the gradients of every epoch pile up", '''
def fit_linear_regression(x, y, lr=0.1, epochs=200):
    model = nn.Linear(x.shape[1], 1).to(x.device)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return model
'''),
        ("step before backward: every step sees zeroed gradients", '''
def fit_linear_regression(x, y, lr=0.1, epochs=200):
    model = nn.Linear(x.shape[1], 1).to(x.device)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        optimizer.step()
        loss.backward()
    return model
'''),
        ("summed instead of mean loss: the step is N times too large and diverges", '''
def fit_linear_regression(x, y, lr=0.1, epochs=200):
    model = nn.Linear(x.shape[1], 1).to(x.device)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return model
'''),
    ],
    "sgd_step": [
        ("in-place update outside no_grad: autograd refuses to change a leaf", '''
def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad
'''),
        ("p = p - lr * grad only rebinds the name: the parameters never change", '''
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p = p - lr * p.grad
'''),
        ("gradient ascent: the sign is flipped", '''
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
'''),
    ],
    "binary_loss": [
        ("no clamp: log(0) gives -inf and 0 * -inf gives nan", '''
def binary_loss(y_pred, y):
    return -(y * y_pred.log() + (1 - y) * (1 - y_pred).log()).mean()
'''),
        ("summed instead of mean loss", '''
def binary_loss(y_pred, y):
    log_likelihood = y * y_pred.clamp(min=1e-12).log() + (1 - y) * (1 - y_pred).clamp(min=1e-12).log()
    return -log_likelihood.sum()
'''),
        ("minus sign forgotten: the loss is the log-likelihood itself", '''
def binary_loss(y_pred, y):
    return (y * y_pred.clamp(min=1e-12).log() + (1 - y) * (1 - y_pred).clamp(min=1e-12).log()).mean()
'''),
    ],
    "train_loop": [
        ("zero_grad missing: gradients accumulate across batches", '''
def train_loop(dataloader, model, loss_fn, optimizer, device):
    model.train()
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(dataloader)
'''),
        ("step before backward: the parameters never move", '''
def train_loop(dataloader, model, loss_fn, optimizer, device):
    model.train()
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        optimizer.step()
        loss.backward()
        total += loss.item()
    return total / len(dataloader)
'''),
        ("summed instead of mean loss: returns the total of the batch losses", '''
def train_loop(dataloader, model, loss_fn, optimizer, device):
    model.train()
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total
'''),
        ("model.train() never called: a model left in eval mode trains without dropout", '''
def train_loop(dataloader, model, loss_fn, optimizer, device):
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(dataloader)
'''),
    ],
    "test_loop": [
        ("eval mode not set", '''
def test_loop(dataloader, model, loss_fn, device):
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            total_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(dim=1) == y).sum().item()
    return correct / len(dataloader.dataset), total_loss / len(dataloader)
'''),
        ("accuracy over the wrong dim: argmax(dim=0) picks a sample per class", '''
def test_loop(dataloader, model, loss_fn, device):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            total_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(dim=0) == y).sum().item()
    return correct / len(dataloader.dataset), total_loss / len(dataloader)
'''),
        ("no torch.no_grad(): every batch builds a graph", '''
def test_loop(dataloader, model, loss_fn, device):
    model.eval()
    total_loss, correct = 0.0, 0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        pred = model(X)
        total_loss += loss_fn(pred, y).item()
        correct += (pred.argmax(dim=1) == y).sum().item()
    return correct / len(dataloader.dataset), total_loss / len(dataloader)
'''),
        ("accuracy divided by the number of batches instead of the number of samples", '''
def test_loop(dataloader, model, loss_fn, device):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            total_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(dim=1) == y).sum().item()
    return correct / len(dataloader), total_loss / len(dataloader)
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
        ("a ReLU after the last Linear (as in the notes): negative logits are cut to 0", '''
def train_fashion_model(train_loader, device):
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10), nn.ReLU()).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(3):
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
'''),
        ("nn.ReLU (the class) in Sequential instead of nn.ReLU(), as in the notes", '''
def train_fashion_model(train_loader, device):
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU, nn.Linear(128, 10)).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
'''),
        ("optimizer.step() forgotten: the model never learns", '''
def train_fashion_model(train_loader, device):
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(3):
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
    return model
'''),
    ],
}
