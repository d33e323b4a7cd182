"""Correct alternatives for 03_datasets: solutions written differently from the reference that the
task text allows. Each must pass its test cell."""

RIGHT = {
    "one_hot": [
        ("F.one_hot with num_classes, then .to(torch.float32)", '''
def one_hot(label, num_classes, device="cpu"):
    return F.one_hot(torch.tensor(label, device=device), num_classes=num_classes).to(torch.float32)
'''),
        ("a row of the identity matrix", '''
def one_hot(label, num_classes, device="cpu"):
    return torch.eye(num_classes, device=device)[label]
'''),
        ("index assignment into zeros", '''
def one_hot(label, num_classes, device="cpu"):
    out = torch.zeros(num_classes, device=device)
    out[label] = 1
    return out
'''),
    ],
    "batch_sizes": [
        ("a loop that takes batches until the epoch is used up", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    left = num_samples if num_samples is not None else n_samples
    sizes = []
    while left > 0:
        size = min(batch_size, left)
        if size < batch_size and drop_last:
            break
        sizes.append(size)
        left -= size
    return sizes
'''),
        ("ceil / floor for the count, then the last size fixed up", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    total = num_samples or n_samples
    count = math.floor(total / batch_size) if drop_last else math.ceil(total / batch_size)
    return [min(batch_size, total - k * batch_size) for k in range(count)]
'''),
    ],
    "count_classes": [
        ("all labels concatenated, then one bincount", '''
def count_classes(loader, num_classes):
    labels = torch.cat([y for _, y in loader])
    return torch.bincount(labels, minlength=num_classes)
'''),
        ("one-hot rows summed, then cast to int64", '''
def count_classes(loader, num_classes):
    total = None
    for _, y in loader:
        part = F.one_hot(y, num_classes).sum(dim=0)
        total = part if total is None else total + part
    return total.to(torch.int64)
'''),
        ("a Python loop over the labels with index_add_", '''
def count_classes(loader, num_classes):
    counts = None
    for batch in loader:
        y = batch[1]
        if counts is None:
            counts = torch.zeros(num_classes, dtype=torch.int64, device=y.device)
        counts.index_add_(0, y, torch.ones_like(y))
    return counts
'''),
    ],
    "csv_dataset": [
        ("v2.functional.to_image (a tv_tensors.Image), paths joined with os.path", '''
import os


class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        table = pd.read_csv(csv_path)
        self.files = [os.path.join(str(img_dir), name) for name in table["filename"]]
        self.labels = table["label"].tolist()
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        image = v2.functional.to_image(Image.open(self.files[i]))
        label = int(self.labels[i])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label
'''),
        ("NumPy array, with a channel axis added for grayscale and the channels moved first", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.rows = pd.read_csv(csv_path).to_dict("records")
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        row = self.rows[idx]
        with Image.open(self.img_dir / row["filename"]) as im:
            array = np.asarray(im)
        if array.ndim == 2:
            array = array[None, :, :]
        else:
            array = array.transpose(2, 0, 1)
        image = torch.from_numpy(array.copy())
        label = int(row["label"])
        return (self.transform(image) if self.transform is not None else image,
                self.target_transform(label) if self.target_transform is not None else label)
'''),
        ("the csv module instead of pandas, and v2.ToImage() as a converter", '''
import csv


class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        with open(csv_path, newline="") as f:
            self.rows = list(csv.DictReader(f))
        self.img_dir = img_dir
        self.to_image = v2.ToImage()
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        row = self.rows[idx]
        image = self.to_image(Image.open(Path(self.img_dir, row["filename"])))
        label = int(row["label"])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
    ],
    "channel_mean_std": [
        ("running sums of x and x squared, image by image", '''
def channel_mean_std(dataset):
    total = total_sq = None
    count = 0
    for i in range(len(dataset)):
        image = dataset[i][0]
        s, sq = image.sum(dim=(1, 2)), (image * image).sum(dim=(1, 2))
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        count += image.shape[1] * image.shape[2]
    mean = total / count
    return mean, (total_sq / count - mean * mean).clamp_min(0).sqrt()
'''),
        ("torch.cat of (C, H*W) pieces, then torch.var_mean", '''
def channel_mean_std(dataset):
    pixels = torch.cat([dataset[i][0].flatten(1) for i in range(len(dataset))], dim=1)
    var, mean = torch.var_mean(pixels, dim=1, correction=0)
    return mean, var.sqrt()
'''),
    ],
    "fashion_smoothed": [
        ("ToTensor() and a Lambda that builds the target by index assignment", '''
from torchvision.transforms import Lambda, ToTensor


def smoothed_fashion(root, train, smoothing):
    def target(y):
        t = torch.ones(10) * (smoothing / 10)
        t[y] += 1 - smoothing
        return t
    return datasets.FashionMNIST(str(root), train=train, transform=ToTensor(), target_transform=Lambda(target))
'''),
        ("a plain function for the image (pil_to_tensor / 255) and one-hot mixed with a uniform vector", '''
def smoothed_fashion(root, train, smoothing):
    def image(pic):
        return v2.functional.pil_to_tensor(pic).float() / 255

    def target(y):
        return (1 - smoothing) * F.one_hot(torch.tensor(y), 10).float() + smoothing / 10

    return datasets.FashionMNIST(root=root, train=train, download=False, transform=image, target_transform=target)
'''),
    ],
    "make_loaders": [
        ("an explicit RandomSampler with its own generator", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    sampler = RandomSampler(train_ds, generator=torch.Generator().manual_seed(seed))
    return (DataLoader(train_ds, batch_size=batch_size, sampler=sampler),
            DataLoader(test_ds, batch_size=batch_size))
'''),
        ("a hand-written sampler that keeps one seeded generator and draws a new permutation per epoch", '''
class _EpochShuffle(torch.utils.data.Sampler):
    def __init__(self, n, seed):
        self.n = n
        self.g = torch.Generator()
        self.g.manual_seed(seed)

    def __len__(self):
        return self.n

    def __iter__(self):
        yield from torch.randperm(self.n, generator=self.g).tolist()


def make_loaders(train_ds, test_ds, batch_size, seed):
    train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=_EpochShuffle(len(train_ds), seed))
    test_loader = DataLoader(test_ds, batch_size=batch_size, sampler=torch.utils.data.SequentialSampler(test_ds))
    return train_loader, test_loader
'''),
    ],
    "split_train_val": [
        ("one permutation from a generator of its own, then Subsets", '''
def split_train_val(dataset, val_fraction, seed):
    n = len(dataset)
    n_val = int(n * val_fraction)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, perm[n_val:]), Subset(dataset, perm[:n_val])
'''),
        ("the global generator used inside torch.random.fork_rng, which puts its state back", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        perm = torch.randperm(len(dataset)).tolist()
    return Subset(dataset, perm[: len(dataset) - n_val]), Subset(dataset, perm[len(dataset) - n_val:])
'''),
        ("random_split with fractions [1 - val_fraction, val_fraction] (it warns when a part is empty)", '''
def split_train_val(dataset, val_fraction, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return tuple(random_split(dataset, [1 - val_fraction, val_fraction], generator=g))
'''),
        ("a NumPy generator seeded with seed", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    perm = np.random.default_rng(seed).permutation(len(dataset))
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    return Subset(dataset, [int(i) for i in train_idx]), Subset(dataset, [int(i) for i in val_idx])
'''),
    ],
    "pad_sequences": [
        ("each row built with torch.cat, then torch.stack", '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    maxlen = maxlen if maxlen is not None else max(s.numel() for s in sequences)
    rows = []
    for s in sequences:
        if s.numel() > maxlen:
            s = s[s.numel() - maxlen:] if truncating == "pre" else s[:maxlen]
        fill = torch.full((maxlen - s.numel(),), value, dtype=s.dtype, device=s.device)
        rows.append(torch.cat([fill, s]) if padding == "pre" else torch.cat([s, fill]))
    return torch.stack(rows)
'''),
        ("truncate first, then torch's pad_sequence with padding_side and a final crop", '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    cut = [s[-maxlen:] if truncating == "pre" else s[:maxlen] for s in sequences]
    cut.append(torch.zeros(maxlen, dtype=sequences[0].dtype, device=sequences[0].device))   # forces the width
    side = "left" if padding == "pre" else "right"
    return pad_sequence(cut, batch_first=True, padding_value=value, padding_side=side)[:-1].clone()
'''),
    ],
    "collate_with_lengths": [
        ("torch.sort(stable=True, descending=True) on the lengths, then index the padded batch", '''
def collate_with_lengths(batch):
    seqs = [t for t, _ in batch]
    dev = seqs[0].device
    lengths = torch.tensor([t.shape[0] for t in seqs], device=dev)
    labels = torch.tensor([y for _, y in batch], device=dev)
    padded = pad_sequence(seqs, batch_first=True)
    order = torch.sort(lengths, descending=True, stable=True).indices
    return padded[order], lengths[order], labels[order]
'''),
        ("a hand-made zero matrix filled row by row, order from sorted() on -length", '''
def collate_with_lengths(batch):
    order = sorted(range(len(batch)), key=lambda i: -len(batch[i][0]))
    dev = batch[0][0].device
    longest = max(len(t) for t, _ in batch)
    padded = torch.zeros(len(batch), longest, dtype=torch.int64, device=dev)
    for row, i in enumerate(order):
        padded[row, : len(batch[i][0])] = batch[i][0]
    lengths = torch.tensor([len(batch[i][0]) for i in order], dtype=torch.int64, device=dev)
    labels = torch.tensor([int(batch[i][1]) for i in order], dtype=torch.int64, device=dev)
    return padded, lengths, labels
'''),
    ],
    "balanced_loader": [
        ("per-sample weights from a loop over the classes", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    weights = torch.empty(len(labels), dtype=torch.float64)
    for c in labels.unique():
        members = labels == c
        weights[members] = 1.0 / int(members.sum())
    g = torch.Generator()
    g.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size,
                      sampler=WeightedRandomSampler(weights.tolist(), num_samples, generator=g))
'''),
        ("a hand-written sampler: pick a class uniformly, then a member uniformly", '''
class _ClassThenMember(torch.utils.data.Sampler):
    def __init__(self, labels, num_samples, seed):
        self.groups = [torch.nonzero(labels == c).flatten() for c in range(int(labels.max()) + 1)]
        self.num_samples = num_samples
        self.g = torch.Generator().manual_seed(seed)

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        classes = torch.randint(len(self.groups), (self.num_samples,), generator=self.g)
        for c in classes.tolist():
            group = self.groups[c]
            yield int(group[torch.randint(len(group), (1,), generator=self.g)])


def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    return DataLoader(dataset, batch_size=batch_size, sampler=_ClassThenMember(labels, num_samples, seed))
'''),
    ],
}
