"""Known-wrong solutions for 03_datasets: mistakes learners really make."""

_CSV_HEAD = '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.table = pd.read_csv(csv_path)
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.table)
'''

_CSV_TAIL = '''
        label = int(row["label"])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''


def _csv(read_image_lines: str) -> str:
    """A CsvImageDataset that is right except for how __getitem__ reads the image."""
    return _CSV_HEAD + '''
    def __getitem__(self, idx):
        row = self.table.iloc[idx]
''' + read_image_lines + _CSV_TAIL


_PAD = '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    first = sequences[0]
    out = torch.full((len(sequences), maxlen), value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        s = KEEP
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, : len(s)] = s
    return out
'''

WRONG = {
    "one_hot": [
        ("F.one_hot without .float(): an int64 vector", '''
def one_hot(label, num_classes, device="cpu"):
    return F.one_hot(torch.tensor(label, device=device), num_classes=num_classes)
'''),
        ("F.one_hot without num_classes: the length is guessed as label + 1", '''
def one_hot(label, num_classes, device="cpu"):
    return F.one_hot(torch.tensor(label, device=device)).float()
'''),
        ("the 1 written one position too far to the left (label - 1)", '''
def one_hot(label, num_classes, device="cpu"):
    target = torch.zeros(num_classes, device=device)
    target[label - 1] = 1.0
    return target
'''),
    ],
    "batch_sizes": [
        ("the last, incomplete batch kept even with drop_last=True", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    total = n_samples if num_samples is None else num_samples
    sizes = [batch_size] * (total // batch_size)
    if total % batch_size:
        sizes.append(total % batch_size)
    return sizes
'''),
        ("num_samples ignored: an epoch of a sampler is taken to be len(dataset) draws", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    sizes = [batch_size] * (n_samples // batch_size)
    if n_samples % batch_size and not drop_last:
        sizes.append(n_samples % batch_size)
    return sizes
'''),
        ("always one more batch for the remainder, even when the batch size divides evenly (an empty batch)", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    total = n_samples if num_samples is None else num_samples
    sizes = [batch_size] * (total // batch_size)
    if not drop_last:
        sizes.append(total % batch_size)
    return sizes
'''),
        ("ceil for the number of batches, but every batch counted as full", '''
def batch_sizes(n_samples, batch_size, drop_last=False, num_samples=None):
    total = n_samples if num_samples is None else num_samples
    count = total // batch_size if drop_last else math.ceil(total / batch_size)
    return [batch_size] * count
'''),
    ],
    "count_classes": [
        ("counted only the first batch: next(iter(loader))", '''
def count_classes(loader, num_classes):
    _, labels = next(iter(loader))
    return torch.bincount(labels, minlength=num_classes)
'''),
        ("bincount without minlength: classes above the largest label seen are missing", '''
def count_classes(loader, num_classes):
    all_labels = torch.cat([labels for _, labels in loader])
    return torch.bincount(all_labels)
'''),
        ("accumulated into torch.zeros(num_classes): float counts", '''
def count_classes(loader, num_classes):
    counts = None
    for _, labels in loader:
        if counts is None:
            counts = torch.zeros(num_classes, device=labels.device)
        counts += torch.bincount(labels, minlength=num_classes)
    return counts
'''),
        ("counted the dataset's labels, not what the loader yields (misses drop_last and the sampler)", '''
def count_classes(loader, num_classes):
    labels = torch.stack([loader.dataset[i][1] for i in range(len(loader.dataset))])
    return torch.bincount(labels, minlength=num_classes)
'''),
        ("went over the loader twice: once to find the device, once to count", '''
def count_classes(loader, num_classes):
    dev = next(iter(loader))[1].device
    counts = torch.zeros(num_classes, dtype=torch.int64, device=dev)
    for _, labels in loader:
        counts += torch.bincount(labels, minlength=num_classes)
    return counts
'''),
    ],
    "csv_dataset": [
        ("off-by-one __len__: subtracted the header row that read_csv already skipped", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.table = pd.read_csv(csv_path)
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.table) - 1

    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("file and label read by position (iloc[idx, 0] / iloc[idx, 1]), not by column name", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(csv_path)
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = Path(self.img_dir) / str(self.img_labels.iloc[idx, 0])
        image = v2.functional.pil_to_tensor(Image.open(img_path))
        label = int(self.img_labels.iloc[idx, 1])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label
'''),
        ("the transform is stored but never applied", _CSV_HEAD + '''
    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("a typo, self.tartget_transform (breaks as soon as a target_transform is given)", _CSV_HEAD + '''
    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.tartget_transform(label)
        return image, label
'''),
        ("every image converted to RGB: grayscale files get 3 channels", _csv('''
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]).convert("RGB"))
''')),
        ("every image converted to grayscale (mode 'L'): RGB files lose their colours", _csv('''
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]).convert("L"))
''')),
        ("NumPy's (H, W, C) layout kept: channels last, and no channel axis for grayscale", _csv('''
        image = torch.from_numpy(np.array(Image.open(self.img_dir / row["filename"])))
''')),
        ("channels-last array reshaped (not permuted) to (C, H, W): the pixels are scrambled", _csv('''
        array = np.array(Image.open(self.img_dir / row["filename"]))
        if array.ndim == 2:
            array = array[:, :, None]
        h, w, c = array.shape
        image = torch.from_numpy(array).reshape(c, h, w)
''')),
        ("every image read in __init__: a file changed later is never seen (and a real folder would not fit)", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        table = pd.read_csv(csv_path)
        self.images = [v2.functional.pil_to_tensor(Image.open(Path(img_dir) / name)) for name in table["filename"]]
        self.labels = [int(v) for v in table["label"]]
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], self.labels[idx]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("the CSV re-read on every access instead of once in __init__", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.csv_path = csv_path
        self.n = len(pd.read_csv(csv_path))
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        row = pd.read_csv(self.csv_path).iloc[idx]
        image = v2.functional.pil_to_tensor(Image.open(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
    ],
    "channel_mean_std": [
        ("averaged each image's own std instead of the std of all pixels", '''
def channel_mean_std(dataset):
    images = [dataset[i][0] for i in range(len(dataset))]
    means = torch.stack([img.mean(dim=(1, 2)) for img in images])
    stds = torch.stack([img.std(dim=(1, 2), correction=0) for img in images])
    return means.mean(dim=0), stds.mean(dim=0)
'''),
        ("one mean and std over all channels together (shape ()), not per channel", '''
def channel_mean_std(dataset):
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    return images.mean(), images.std(correction=0)
'''),
        ("the unbiased std (torch.std's default correction=1) instead of the population std", '''
def channel_mean_std(dataset):
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))
'''),
        ("results always float32: a float64 dataset loses its dtype", '''
def channel_mean_std(dataset):
    images = torch.stack([dataset[i][0] for i in range(len(dataset))]).float()
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3), correction=0)
'''),
        ("centred the caller's images in place while computing the std", '''
def channel_mean_std(dataset):
    images = [dataset[i][0] for i in range(len(dataset))]
    mean = torch.stack(images).mean(dim=(0, 2, 3))
    for img in images:
        img -= mean[:, None, None]
    std = torch.stack(images).pow(2).mean(dim=(0, 2, 3)).sqrt()
    return mean, std
'''),
    ],
    "fashion_smoothed": [
        ("v2.ToDtype without scale=True: float pixels in 0..255", '''
def smoothed_fashion(root, train, smoothing):
    def target(label):
        t = torch.full((10,), smoothing / 10)
        t[label] += 1 - smoothing
        return t
    return datasets.FashionMNIST(root=root, train=train, download=False,
                                 transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32)]), target_transform=target)
'''),
        ("the label gets 1 - smoothing, without its share smoothing / K: the target does not sum to 1", '''
def smoothed_fashion(root, train, smoothing):
    def target(label):
        t = torch.full((10,), smoothing / 10)
        t[label] = 1 - smoothing
        return t
    return datasets.FashionMNIST(root=root, train=train, download=False,
                                 transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]), target_transform=target)
'''),
        ("smoothing ignored: a plain one-hot target", '''
def smoothed_fashion(root, train, smoothing):
    return datasets.FashionMNIST(root=root, train=train, download=False,
                                 transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]),
                                 target_transform=lambda y: F.one_hot(torch.tensor(y), num_classes=10).float())
'''),
        ("train=True always: the test files are never used", '''
def smoothed_fashion(root, train, smoothing):
    def target(label):
        t = torch.full((10,), smoothing / 10)
        t[label] += 1 - smoothing
        return t
    return datasets.FashionMNIST(root=root, train=True, download=False,
                                 transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]), target_transform=target)
'''),
        ("the one-hot target from F.one_hot left as int64 and smoothed with integer arithmetic", '''
def smoothed_fashion(root, train, smoothing):
    return datasets.FashionMNIST(root=root, train=train, download=False,
                                 transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]),
                                 target_transform=lambda y: F.one_hot(torch.tensor(y), num_classes=10))
'''),
    ],
    "make_loaders": [
        ("the test loader shuffled too", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(test_ds, batch_size=batch_size, shuffle=True)
    return train_loader, test_loader
'''),
        ("seeded the global RNG once instead of giving the loader a generator", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    torch.manual_seed(seed)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=batch_size)
    return train_loader, test_loader
'''),
        ("the train loader not shuffled", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(test_ds, batch_size=batch_size, shuffle=False)
    return train_loader, test_loader
'''),
        ("drop_last=True: the last, incomplete batches are lost", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=batch_size, drop_last=True)
    return train_loader, test_loader
'''),
        ("shuffled once, with a seeded permutation: the same order in every epoch", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    order = torch.randperm(len(train_ds), generator=torch.Generator().manual_seed(seed)).tolist()
    train_loader = DataLoader(Subset(train_ds, order), batch_size=batch_size)
    test_loader = DataLoader(test_ds, batch_size=batch_size)
    return train_loader, test_loader
'''),
        ("a sampler that reseeds its generator at the start of every epoch: the same order each time", '''
class _ReseededSampler(torch.utils.data.Sampler):
    def __init__(self, n, seed):
        self.n, self.seed = n, seed

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed)).tolist())


def make_loaders(train_ds, test_ds, batch_size, seed):
    train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=_ReseededSampler(len(train_ds), seed))
    test_loader = DataLoader(test_ds, batch_size=batch_size)
    return train_loader, test_loader
'''),
        ("shuffled the caller's training tensors in place, then served them in order", '''
def make_loaders(train_ds, test_ds, batch_size, seed):
    perm = torch.randperm(len(train_ds), generator=torch.Generator().manual_seed(seed))
    for t in train_ds.tensors:
        t.copy_(t[perm.to(t.device)])
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=generator)
    return train_loader, DataLoader(test_ds, batch_size=batch_size)
'''),
    ],
    "split_train_val": [
        ("the given code unchanged: two permutations (a leak) and the global seed reset", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    torch.manual_seed(seed)
    train_part = Subset(dataset, torch.randperm(len(dataset))[n_val:].tolist())
    val_part = Subset(dataset, torch.randperm(len(dataset))[:n_val].tolist())
    return train_part, val_part
'''),
        ("one permutation (no leak) but still torch.manual_seed: the global random state is reset", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    torch.manual_seed(seed)
    perm = torch.randperm(len(dataset)).tolist()
    return Subset(dataset, perm[n_val:]), Subset(dataset, perm[:n_val])
'''),
        ("a generator for each part: two independent permutations, so the parts still overlap", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    train_perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    val_perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed + 1))
    return Subset(dataset, train_perm[n_val:].tolist()), Subset(dataset, val_perm[:n_val].tolist())
'''),
        ("perm[-n_val:] for the validation part: with n_val == 0 that is the whole dataset", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, perm[: len(dataset) - n_val]), Subset(dataset, perm[-n_val:])
'''),
        ("not shuffled: the first samples for training, the last for validation", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    n_train = len(dataset) - n_val
    return Subset(dataset, list(range(n_train))), Subset(dataset, list(range(n_train, len(dataset))))
'''),
        ("the sizes swapped: the validation part gets the larger share", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    generator = torch.Generator().manual_seed(seed)
    val_part, train_part = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return train_part, val_part
'''),
        ("round() instead of rounding down", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = round(len(dataset) * val_fraction)
    generator = torch.Generator().manual_seed(seed)
    train_part, val_part = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return train_part, val_part
'''),
    ],
    "pad_sequences": [
        ("padding 'pre' and 'post' swapped", _PAD.replace("KEEP", 's[-maxlen:] if truncating == "pre" else s[:maxlen]')
         .replace('if padding == "pre":', 'if padding == "post":')),
        ("truncating 'pre' and 'post' swapped ('pre' keeps the start)", _PAD.replace("KEEP", 's[:maxlen] if truncating == "pre" else s[-maxlen:]')),
        ("PyTorch habits as defaults: padding='post', truncating='post'", _PAD.replace("KEEP", 's[-maxlen:] if truncating == "pre" else s[:maxlen]')
         .replace('padding="pre", truncating="pre"', 'padding="post", truncating="post"')),
        ("value ignored: always pads with zeros", _PAD.replace("KEEP", 's[-maxlen:] if truncating == "pre" else s[:maxlen]')
         .replace("torch.full((len(sequences), maxlen), value,", "torch.zeros((len(sequences), maxlen),")),
        ("the result always int64: float sequences lose their fractions (value 0.5 becomes 0)",
         _PAD.replace("KEEP", 's[-maxlen:] if truncating == "pre" else s[:maxlen]').replace("dtype=first.dtype", "dtype=torch.int64")),
    ],
    "collate_with_lengths": [
        ("lengths counted as non-zero token ids: a zero token is taken for padding", '''
def collate_with_lengths(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = (padded != 0).sum(dim=1)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("lengths measured after padding: all equal to the longest", '''
def collate_with_lengths(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(row) for row in padded], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("batch_first forgotten: padded has shape (longest, batch)", '''
def collate_with_lengths(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs)
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("not sorted by length", '''
def collate_with_lengths(batch):
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("sorted the sequences but left the labels in the batch's order", '''
def collate_with_lengths(batch):
    seqs = sorted([tokens for tokens, _ in batch], key=len, reverse=True)
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("ties broken by position, reversed: equal lengths come out in the opposite order", '''
def collate_with_lengths(batch):
    order = sorted(range(len(batch)), key=lambda i: (len(batch[i][0]), i), reverse=True)
    seqs = [batch[i][0] for i in order]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([batch[i][1] for i in order], device=padded.device)
    return padded, lengths, labels
'''),
        ("padded before the sequence (padding_side='left') instead of after", '''
def collate_with_lengths(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True, padding_side="left")
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
    ],
    "balanced_loader": [
        ("a RandomSampler with replacement: the classes keep their imbalance", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    sampler = RandomSampler(dataset, replacement=True, num_samples=num_samples, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("weights proportional to the class count: the majority is oversampled instead", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    weights = torch.bincount(labels)[labels].double()
    sampler = WeightedRandomSampler(weights, num_samples, replacement=True, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("no generator: the draws follow the global random state", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    torch.manual_seed(seed)
    weights = 1.0 / torch.bincount(labels)[labels].double()
    sampler = WeightedRandomSampler(weights, num_samples, replacement=True)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("the indices drawn once and passed as a list: every epoch repeats the first", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    weights = 1.0 / torch.bincount(labels)[labels].double()
    drawn = torch.multinomial(weights, num_samples, replacement=True, generator=torch.Generator().manual_seed(seed)).tolist()
    return DataLoader(dataset, batch_size=batch_size, sampler=drawn)
'''),
        ("num_samples forgotten: len(dataset) draws per epoch", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    weights = 1.0 / torch.bincount(labels)[labels].double()
    sampler = WeightedRandomSampler(weights, len(dataset), replacement=True, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("one representative per class: a class is drawn fairly, but always through its first sample", '''
def balanced_loader(dataset, labels, batch_size, num_samples, seed):
    first = {}
    for i, y in enumerate(labels.tolist()):
        first.setdefault(y, i)
    weights = torch.zeros(len(labels), dtype=torch.float64)
    weights[list(first.values())] = 1.0
    sampler = WeightedRandomSampler(weights, num_samples, replacement=True, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
    ],
}

# Device mistakes are right on a CPU-only machine: checked only where CUDA exists.
CUDA_ONLY = {
    "one_hot": [
        ("device ignored: always on the CPU", '''
def one_hot(label, num_classes, device="cpu"):
    target = torch.zeros(num_classes)
    target[label] = 1.0
    return target
'''),
    ],
    "collate_with_lengths": [
        ("lengths and labels made on the CPU whatever the tokens' device", '''
def collate_with_lengths(batch):
    batch = sorted(batch, key=lambda pair: len(pair[0]), reverse=True)
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(s) for s in seqs])
    labels = torch.tensor([label for _, label in batch])
    return padded, lengths, labels
'''),
    ],
}
