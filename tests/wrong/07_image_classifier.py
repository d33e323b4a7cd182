"""Known-wrong solutions for 07_image_classifier: mistakes learners really make.

``WRONG`` holds the mistakes that fail on any machine. ``CUDA_ONLY`` holds device mistakes
that are correct on a CPU-only machine and can only fail where CUDA exists; they join
``WRONG`` there, so a GPU run checks them too.
"""

WRONG = {
    "make_augment": [
        ("flip only, no shift", '''
def make_augment():
    return v2.RandomHorizontalFlip(p=0.5)
'''),
        ("shift by torch.roll: pixels wrap around instead of a black border", '''
def make_augment():
    flip = v2.RandomHorizontalFlip(p=0.5)

    def augment(x):
        dx, dy = torch.randint(-2, 3, (2,)).tolist()
        return torch.roll(flip(x), shifts=(dy, dx), dims=(-2, -1))
    return augment
'''),
        ("vertical flip instead of left-right", '''
def make_augment():
    return v2.Compose([v2.RandomVerticalFlip(p=0.5), v2.RandomCrop(28, padding=2)])
'''),
        ("always flips", '''
def make_augment():
    return v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.RandomCrop(28, padding=2)])
'''),
    ],
    "confusion_matrix": [
        ("rows and columns swapped", '''
def confusion_matrix(preds, targets, n_classes):
    flat = preds.long() * n_classes + targets.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
'''),
        ("m[t, p] += 1 with index tensors counts a repeated cell once", '''
def confusion_matrix(preds, targets, n_classes):
    m = torch.zeros(n_classes, n_classes, dtype=torch.int64, device=preds.device)
    m[targets.long(), preds.long()] += 1
    return m
'''),
        ("bincount without minlength: too small when the last classes never occur", '''
def confusion_matrix(preds, targets, n_classes):
    counts = torch.bincount(targets.long() * n_classes + preds.long())
    return counts.reshape(n_classes, -1)
'''),
    ],
    "image_file_dataset": [
        ("columns by position: breaks when the CSV has another column order", '''
class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        with open(csv_path, newline="") as f:
            rows = list(csv.reader(f))[1:]
        self.rows = [(r[0], int(r[1])) for r in rows]
        self.img_dir, self.transform = img_dir, transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        name, label = self.rows[i]
        with Image.open(os.path.join(self.img_dir, name)) as p:
            image = v2.functional.pil_to_tensor(p.convert("L")).float() / 255
        return (self.transform(image) if self.transform else image), label
'''),
        ("all images read in __init__: a file changed later is not seen", '''
class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
        self.images = []
        for row in rows:
            with Image.open(os.path.join(img_dir, row["filename"])) as p:
                self.images.append(v2.functional.pil_to_tensor(p.convert("L")).float() / 255)
        self.labels = [int(row["label"]) for row in rows]
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i]
        return (self.transform(image) if self.transform else image), self.labels[i]
'''),
        ("label left as the CSV's text", '''
class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        with open(csv_path, newline="") as f:
            self.rows = list(csv.DictReader(f))
        self.img_dir, self.transform = img_dir, transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        with Image.open(os.path.join(self.img_dir, row["filename"])) as p:
            image = v2.functional.pil_to_tensor(p.convert("L")).float() / 255
        return (self.transform(image) if self.transform else image), row["label"]
'''),
        ("not scaled to [0, 1]", '''
class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        with open(csv_path, newline="") as f:
            self.rows = list(csv.DictReader(f))
        self.img_dir, self.transform = img_dir, transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        with Image.open(os.path.join(self.img_dir, row["filename"])) as p:
            image = v2.functional.pil_to_tensor(p.convert("L")).float()
        return (self.transform(image) if self.transform else image), int(row["label"])
'''),
    ],
    "group_split": [
        ("random_split over items: photos of one garment land on both sides", '''
def group_split(groups, val_fraction, seed):
    n = len(groups)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = round(val_fraction * n)
    return order[n_val:].sort().values, order[:n_val].sort().values
'''),
        ("the global seed is set: the caller's random state changes", '''
def group_split(groups, val_fraction, seed):
    torch.manual_seed(seed)
    unique = torch.unique(groups)
    chosen = unique[torch.randperm(len(unique))[: round(val_fraction * len(unique))]]
    in_val = torch.isin(groups, chosen)
    return torch.nonzero(~in_val).flatten(), torch.nonzero(in_val).flatten()
'''),
        ("always the first garments in sorted order: not random", '''
def group_split(groups, val_fraction, seed):
    unique = torch.unique(groups)
    chosen = unique[: round(val_fraction * len(unique))]
    in_val = torch.isin(groups, chosen)
    return torch.nonzero(~in_val).flatten(), torch.nonzero(in_val).flatten()
'''),
    ],
    "fashion_cnn": [
        ("Linear sized for 28x28 only: other image sizes fail", '''
class FashionCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.25):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(16 * 7 * 7, n_classes))

    def forward(self, x):
        return self.net(x)
'''),
        ("a ReLU after the last Linear", '''
class FashionCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.25):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(3),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(16 * 9, n_classes), nn.ReLU())

    def forward(self, x):
        return self.net(x)
'''),
        ("softmax in forward: probabilities, not logits", '''
class FashionCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.25):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(3),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(16 * 9, n_classes))

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)
'''),
    ],
    "train_one_epoch": [
        ("the given function unchanged", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    return buggy_train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm)
'''),
        ("clipping fixed, but the loss still averaged over batches", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)
'''),
        ("mean fixed, but clipping after the step", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
        ("model.train() forgotten: a model handed over in eval mode trains in eval mode", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
    ],
    "evaluate": [
        ("no model.eval(): Dropout and BatchNorm in training mode", '''
def evaluate(model, loader, device, n_classes):
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    with torch.no_grad():
        for x, y in loader:
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda"):
                pred = model(x.to(device)).argmax(1).cpu()
            for t, p in zip(y.tolist(), pred.tolist()):
                matrix[t, p] += 1
    return matrix, matrix.diagonal().double() / matrix.sum(1).double()
'''),
        ("gradient tracking left on", '''
def evaluate(model, loader, device, n_classes):
    was = model.training
    model.eval()
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for x, y in loader:
        with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda"):
            pred = model(x.to(device)).argmax(1).cpu()
        for t, p in zip(y.tolist(), pred.tolist()):
            matrix[t, p] += 1
    model.train(was)
    return matrix, matrix.diagonal().double() / matrix.sum(1).double()
'''),
        ("the model is left in eval mode", '''
def evaluate(model, loader, device, n_classes):
    model.eval()
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    with torch.no_grad():
        for x, y in loader:
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda"):
                pred = model(x.to(device)).argmax(1).cpu()
            for t, p in zip(y.tolist(), pred.tolist()):
                matrix[t, p] += 1
    return matrix, matrix.diagonal().double() / matrix.sum(1).double()
'''),
        ("0 instead of nan for a class without samples", '''
def evaluate(model, loader, device, n_classes):
    was = model.training
    model.eval()
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    with torch.no_grad():
        for x, y in loader:
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda"):
                pred = model(x.to(device)).argmax(1).cpu()
            for t, p in zip(y.tolist(), pred.tolist()):
                matrix[t, p] += 1
    model.train(was)
    return matrix, matrix.diagonal().double() / matrix.sum(1).clamp(min=1).double()
'''),
    ],
    "fit": [
        ("the best weights are never loaded back: the model keeps the last epoch's", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history, best, waited = [], None, 0
    for epoch in range(max_epochs):
        train_epoch(epoch)
        scheduler.step()
        score = validate()
        history.append(score)
        if best is None or score > best:
            best, waited = score, 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    return history
'''),
        (">= instead of >: a tie replaces the best checkpoint", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history, best, waited = [], None, 0
    for epoch in range(max_epochs):
        train_epoch(epoch)
        scheduler.step()
        score = validate()
        history.append(score)
        if best is None or score >= best:
            best, waited = score, 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("the counter is not reset by an improvement", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history, best, waited = [], None, 0
    for epoch in range(max_epochs):
        train_epoch(epoch)
        scheduler.step()
        score = validate()
        history.append(score)
        if best is None or score > best:
            best = score
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("stops one epoch late (patience + 1 bad epochs)", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history, best, waited = [], None, 0
    for epoch in range(max_epochs):
        train_epoch(epoch)
        scheduler.step()
        score = validate()
        history.append(score)
        if best is None or score > best:
            best, waited = score, 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited > patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
    ],
    "export_image_model": [
        ("no dynamic shapes: the batch size and image size are fixed", '''
def export_image_model(model, example, path):
    model.eval()
    torch.onnx.export(model, (example,), path, verbose=False)
'''),
        ("only the batch dimension is free", '''
def export_image_model(model, example, path):
    model.eval()
    torch.onnx.export(model, (example,), path, dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
'''),
        ("exported in training mode", '''
def export_image_model(model, example, path):
    free = {0: torch.export.Dim("batch"), 2: torch.export.Dim("height"), 3: torch.export.Dim("width")}
    torch.onnx.export(model, (example,), path, dynamic_shapes=(free,), verbose=False)
'''),
    ],
    "train_model": [
        ("the best checkpoint is saved but never loaded back", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best, waited = [], -1.0, 0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best, waited = history[-1], 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    return history
'''),
        ("trains on train_set and val_set together (ConcatDataset)", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(torch.utils.data.ConcatDataset([train_set, val_set]), batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best, waited = [], -1.0, 0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best, waited = history[-1], 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("validation in training mode (no model.eval())", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best, waited = [], -1.0, 0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best, waited = history[-1], 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("pin_memory=True on the CPU: a warning on stderr", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=256, pin_memory=True)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best, waited = [], -1.0, 0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best, waited = history[-1], 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("model.train() called once before the loop: after the first validation it trains in eval mode", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best, waited = [], -1.0, 0
    model.train()
    for epoch in range(max_epochs):
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best, waited = history[-1], 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
        ("no early stopping: always runs max_epochs", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    history, best = [], -1.0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(correct / len(val_set))
        if history[-1] > best:
            best = history[-1]
            torch.save(model.state_dict(), path)
    model.load_state_dict(torch.load(path, weights_only=True))
    return history
'''),
    ],
}

CUDA_ONLY = {
    "confusion_matrix": [
        ("the matrix made on the CPU whatever the inputs' device", '''
def confusion_matrix(preds, targets, n_classes):
    flat = targets.long().cpu() * n_classes + preds.long().cpu()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
'''),
    ],
    "evaluate": [
        ("no autocast on CUDA", '''
def evaluate(model, loader, device, n_classes):
    was = model.training
    model.eval()
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1).cpu()
            for t, p in zip(y.tolist(), pred.tolist()):
                matrix[t, p] += 1
    model.train(was)
    return matrix, matrix.diagonal().double() / matrix.sum(1).double()
'''),
    ],
}
