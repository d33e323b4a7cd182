"""Correct alternatives for 07_image_classifier: solutions written differently from the
reference that a correct reading of each task allows. Each must pass its test cell."""

RIGHT = {
    "make_augment": [
        ("RandomAffine with a translation of 2/28 of the size", '''
def make_augment():
    return v2.Compose([
        v2.RandomAffine(degrees=0, translate=(2 / 28, 2 / 28), fill=0),
        v2.RandomHorizontalFlip(),
    ])
'''),
        ("hand-written: draws its own coin and offsets, pads and slices", '''
def make_augment():
    def augment(image):
        out = image
        if torch.rand(()) < 0.5:
            out = out.flip(-1)
        dx, dy = (torch.randint(0, 5, (2,)) - 2).tolist()
        padded = F.pad(out, (2, 2, 2, 2))
        return padded[:, 2 - dy : 30 - dy, 2 - dx : 30 - dx].clone()
    return augment
'''),
    ],
    "confusion_matrix": [
        ("a Python loop over the pairs", '''
def confusion_matrix(preds, targets, n_classes):
    m = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for t, p in zip(targets.tolist(), preds.tolist()):
        m[t, p] += 1
    return m.to(preds.device)
'''),
        ("index_put_ with accumulate=True", '''
def confusion_matrix(preds, targets, n_classes):
    m = torch.zeros(n_classes, n_classes, dtype=torch.int64, device=targets.device)
    ones = torch.ones(targets.shape[0], dtype=torch.int64, device=targets.device)
    m.index_put_((targets.long(), preds.long()), ones, accumulate=True)
    return m
'''),
        ("one-hot matrices multiplied", '''
def confusion_matrix(preds, targets, n_classes):
    t = F.one_hot(targets.long(), n_classes).float()
    p = F.one_hot(preds.long(), n_classes).float()
    return (t.T @ p).round().long()
'''),
    ],
    "image_file_dataset": [
        ("pandas and NumPy, with the header looked up by name", '''
import numpy as np
import pandas as pd


class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        table = pd.read_csv(csv_path)
        self.files = table["filename"].tolist()
        self.targets = table["label"].astype(int).tolist()
        self.root = img_dir
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        picture = Image.open(os.path.join(self.root, self.files[i])).convert("L")
        image = torch.from_numpy(np.asarray(picture, dtype=np.float32) / 255.0).unsqueeze(0)
        return (image if self.transform is None else self.transform(image)), int(self.targets[i])
'''),
        ("csv.reader with header.index, torchvision's grayscale on a tv_tensors image", '''
class ImageFileDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None):
        with open(csv_path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            name_at, label_at = header.index("filename"), header.index("label")
            self.items = [(row[name_at], int(row[label_at])) for row in reader if row]
        self.img_dir = img_dir
        self.transform = transform
        self.to_gray = v2.Compose([v2.ToImage(), v2.Grayscale(num_output_channels=1), v2.ToDtype(torch.float32, scale=True)])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        name, label = self.items[i]
        with Image.open(os.path.join(self.img_dir, name)) as picture:
            image = self.to_gray(picture.convert("RGB"))
        if self.transform:
            image = self.transform(image)
        return image, label
'''),
    ],
    "group_split": [
        ("NumPy's generator and np.isin", '''
import numpy as np


def group_split(groups, val_fraction, seed):
    ids = np.unique(groups.numpy())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(ids, size=round(val_fraction * len(ids)), replace=False)
    in_val = np.isin(groups.numpy(), chosen)
    return torch.from_numpy(np.flatnonzero(~in_val)).long(), torch.from_numpy(np.flatnonzero(in_val)).long()
'''),
        ("Python's random.Random over the sorted ids, loops for the indices", '''
import random


def group_split(groups, val_fraction, seed):
    ids = sorted(set(groups.tolist()))
    chosen = set(random.Random(seed).sample(ids, round(val_fraction * len(ids))))
    train, val = [], []
    for i, gid in enumerate(groups.tolist()):
        (val if gid in chosen else train).append(i)
    return torch.tensor(train, dtype=torch.int64), torch.tensor(val, dtype=torch.int64)
'''),
    ],
    "fashion_cnn": [
        ("functional ReLU and pooling, global average pooling, Dropout2d", '''
class FashionCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.25):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 24, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(24)
        self.conv2 = nn.Conv2d(24, 48, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(48)
        self.drop = nn.Dropout2d(dropout)
        self.fc = nn.Linear(48, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = self.drop(F.relu(self.bn2(self.conv2(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
'''),
        ("three conv blocks and adaptive max pooling to 2x2", '''
class FashionCNN(nn.Module):
    def __init__(self, n_classes=10, dropout=0.25):
        super().__init__()
        blocks = []
        for c_in, c_out in ((1, 8), (8, 16), (16, 32)):
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
        self.body = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(2), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(32 * 4, 64), nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, images):
        return self.classifier(self.body(images))
'''),
    ],
    "train_one_epoch": [
        ("the loss summed as a tensor, read once at the end", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    model.train()
    running = torch.zeros((), device=device)
    seen = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=max_norm)
        optimizer.step()
        running += loss.detach() * inputs.shape[0]
        seen += inputs.shape[0]
    return float(running / seen)
'''),
        ("get_total_norm and clip_grads_with_norm_, weights by batch size", '''
def train_one_epoch(model, loader, loss_fn, optimizer, device, max_norm):
    model.train()
    losses, sizes = [], []
    params = [p for p in model.parameters() if p.requires_grad]
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x.to(device)), y.to(device))
        loss.backward()
        grads = [p.grad for p in params if p.grad is not None]
        total = torch.nn.utils.get_total_norm(grads)
        torch.nn.utils.clip_grads_with_norm_(params, max_norm, total)
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(y))
    return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
'''),
    ],
    "evaluate": [
        ("inference_mode, a loop to count, torch.nan for empty classes", '''
def evaluate(model, loader, device, n_classes):
    mode = model.training
    model.train(False)
    counts = torch.zeros((n_classes, n_classes), dtype=torch.long)
    use_amp = device.type == "cuda"
    with torch.inference_mode():
        for images, labels in loader:
            images = images.to(device, non_blocking=True)
            if use_amp:
                with torch.autocast("cuda", dtype=torch.float16):
                    scores = model(images)
            else:
                scores = model(images)
            for t, p in zip(labels.tolist(), scores.argmax(-1).tolist()):
                counts[t][p] += 1
    model.train(mode)
    per_class = torch.full((n_classes,), float("nan"))
    for c in range(n_classes):
        if counts[c].sum() > 0:
            per_class[c] = counts[c, c] / counts[c].sum()
    return counts, per_class
'''),
        ("predictions gathered first, matrix with index_put_", '''
import contextlib


def evaluate(model, loader, device, n_classes):
    previous = model.training
    model.eval()
    preds, trues = [], []
    amp = torch.autocast(device_type="cuda", dtype=torch.float16) if device.type == "cuda" else contextlib.nullcontext()
    with torch.no_grad(), amp:
        for x, y in loader:
            preds.append(model(x.to(device)).argmax(dim=1).cpu())
            trues.append(y.cpu())
    model.train(previous)
    p, t = torch.cat(preds), torch.cat(trues)
    matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    matrix.index_put_((t, p), torch.ones_like(t), accumulate=True)
    per_class = matrix.diag().float() / matrix.sum(dim=1).float()
    return matrix, per_class
'''),
    ],
    "fit": [
        ("best weights kept as a deep copy in memory as well, scheduler after validation", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history = []
    best_state, stale = None, 0
    for epoch in range(max_epochs):
        train_epoch(epoch)
        score = validate()
        scheduler.step()
        history.append(score)
        if not history[:-1] or score > max(history[:-1]):
            best_state = copy.deepcopy(model.state_dict())
            torch.save(best_state, path)
            stale = 0
        else:
            stale += 1
        if stale >= patience:
            break
    model.load_state_dict(best_state)
    return history
'''),
        ("a while loop and the best epoch's index", '''
def fit(model, optimizer, scheduler, train_epoch, validate, max_epochs, patience, path):
    history = []
    best_epoch = -1
    epoch = 0
    while epoch < max_epochs and (best_epoch < 0 or epoch - best_epoch <= patience):
        train_epoch(epoch)
        scheduler.step()
        history.append(validate())
        if best_epoch < 0 or history[-1] > history[best_epoch]:
            best_epoch = epoch
            torch.save(model.state_dict(), path)
        epoch += 1
        if epoch - best_epoch > patience:
            break
    model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
    return history
'''),
    ],
    "export_image_model": [
        ("Dims declared by the input's name, with bounds", '''
def export_image_model(model, example, path):
    model = model.eval()
    batch = torch.export.Dim("n", min=1, max=1024)
    height = torch.export.Dim("h", min=8, max=256)
    width = torch.export.Dim("w", min=8, max=256)
    torch.onnx.export(model, (example,), path, dynamic_shapes={"input": {0: batch, 2: height, 3: width}}, verbose=False)
'''),
        ("Dim.DYNAMIC on the three free dimensions, exported from a CPU copy", '''
def export_image_model(model, example, path):
    cpu_model = copy.deepcopy(model).cpu().eval()
    dims = {0: torch.export.Dim.DYNAMIC, 2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC}
    torch.onnx.export(cpu_model, (example.cpu(),), path, dynamic_shapes=(dims,), verbose=False)
'''),
    ],
    "train_model": [
        ("SGD with momentum, OneCycleLR stepped per batch, augmentation, AMP on CUDA", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    cuda = device.type == "cuda"
    loader = DataLoader(train_set, batch_size=32, shuffle=True, pin_memory=cuda, drop_last=False)
    checking = DataLoader(val_set, batch_size=100, pin_memory=cuda)
    model = model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=max_epochs * len(loader))
    scaler = torch.amp.GradScaler("cuda", enabled=cuda, init_scale=2.0**10)
    flip = v2.RandomHorizontalFlip()
    scores, best_score, bad = [], None, 0
    for epoch in range(max_epochs):
        model.train()
        for images, labels in loader:
            images, labels = flip(images.to(device, non_blocking=cuda)), labels.to(device, non_blocking=cuda)
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.float16, enabled=cuda):
                loss = F.cross_entropy(model(images), labels)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            scaler.step(opt)
            scaler.update()
            sched.step()
        model.eval()
        hits = total = 0
        with torch.inference_mode():
            for images, labels in checking:
                hits += int((model(images.to(device)).argmax(1) == labels.to(device)).sum())
                total += len(labels)
        score = hits / total
        scores.append(score)
        if best_score is None or score > best_score:
            best_score, bad = score, 0
            torch.save(model.state_dict(), path)
        else:
            bad += 1
        if bad == patience:
            break
    model.load_state_dict(torch.load(path, weights_only=True))
    return scores
'''),
        ("AdamW, StepLR, label smoothing, best state kept in memory and on disk", '''
def train_model(model, train_set, val_set, device, path, max_epochs, patience):
    model.to(device)
    kwargs = {"pin_memory": True} if device.type == "cuda" else {}
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, **kwargs)
    val_loader = DataLoader(val_set, batch_size=64, **kwargs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
    history = []
    best = None
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x.to(device)), y.to(device)).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        right = 0
        with torch.no_grad():
            for x, y in val_loader:
                right += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        history.append(right / len(val_set))
        if best is None or history[-1] > max(history[:-1]):
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
            torch.save(best, path)
        elif len(history) - 1 - history.index(max(history)) >= patience:
            break
    model.load_state_dict(best)
    return history
'''),
    ],
}
