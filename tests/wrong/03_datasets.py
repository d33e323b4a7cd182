"""Known-wrong solutions for 03_datasets: mistakes learners really make."""

WRONG = {
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
        image = read_image(str(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("label and file read by position (iloc[idx, 0] / iloc[idx, 1]) as in the notes, not by column name", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(csv_path)
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = str(Path(self.img_dir) / str(self.img_labels.iloc[idx, 0]))
        image = read_image(img_path)
        label = int(self.img_labels.iloc[idx, 1])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label
'''),
        ("the label read from the wrong column (the second one) although the file is found by name", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.table = pd.read_csv(csv_path)
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.table)

    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = read_image(str(self.img_dir / row["filename"]))
        label = int(row.iloc[1])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("the transform is stored but never applied", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.table = pd.read_csv(csv_path)
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.table)

    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = read_image(str(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
'''),
        ("the notes' typo self.tartget_transform (breaks as soon as a target_transform is given)", '''
class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_dir, transform=None, target_transform=None):
        self.table = pd.read_csv(csv_path)
        self.img_dir = Path(img_dir)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.table)

    def __getitem__(self, idx):
        row = self.table.iloc[idx]
        image = read_image(str(self.img_dir / row["filename"]))
        label = int(row["label"])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.tartget_transform(label)
        return image, label
'''),
    ],
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
    ],
    "iterations_per_epoch": [
        ("floor and ceil swapped", '''
def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    if drop_last:
        return math.ceil(n_samples / batch_size)
    return math.floor(n_samples / batch_size)
'''),
        ("true division: a float, and a fraction of a batch", '''
def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    if drop_last:
        return n_samples // batch_size
    return n_samples / batch_size
'''),
        ("always one extra batch for the remainder, even when the batch size divides evenly", '''
def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    if drop_last:
        return n_samples // batch_size
    return n_samples // batch_size + 1
'''),
    ],
    "make_loaders": [
        ("the test loader shuffled too, as in the notes", '''
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
    ],
    "oversampling_loader": [
        ("replacement=False: every sample drawn equally often", '''
def oversampling_loader(dataset, num_samples, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    sampler = RandomSampler(dataset, replacement=False, num_samples=num_samples, generator=generator)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("num_samples forgotten: only len(dataset) draws per epoch", '''
def oversampling_loader(dataset, num_samples, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    sampler = RandomSampler(dataset, replacement=True, generator=generator)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
        ("no generator: the draws follow the global random state", '''
def oversampling_loader(dataset, num_samples, batch_size, seed):
    torch.manual_seed(seed)
    sampler = RandomSampler(dataset, replacement=True, num_samples=num_samples)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
    ],
    "pad_sequences": [
        ("padding 'pre' and 'post' swapped", '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    first = sequences[0]
    out = torch.full((len(sequences), maxlen), value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "post":
            out[i, maxlen - len(s):] = s
        else:
            out[i, : len(s)] = s
    return out
'''),
        ("truncating 'pre' and 'post' swapped ('pre' keeps the start)", '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    first = sequences[0]
    out = torch.full((len(sequences), maxlen), value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        s = s[:maxlen] if truncating == "pre" else s[-maxlen:]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, : len(s)] = s
    return out
'''),
        ("PyTorch habits as defaults: padding='post', truncating='post'", '''
def pad_sequences(sequences, maxlen=None, padding="post", truncating="post", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    first = sequences[0]
    out = torch.full((len(sequences), maxlen), value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, : len(s)] = s
    return out
'''),
        ("value ignored: always pads with zeros", '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    first = sequences[0]
    out = torch.zeros((len(sequences), maxlen), dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, : len(s)] = s
    return out
'''),
    ],
    "collate_with_lengths": [
        ("lengths measured after padding: all equal to the longest", '''
def collate_with_lengths(batch):
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(row) for row in padded], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("batch_first forgotten: padded has shape (longest, batch)", '''
def collate_with_lengths(batch):
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs)
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
        ("padded before the sequence (padding_side='left') instead of after", '''
def collate_with_lengths(batch):
    seqs = [tokens for tokens, _ in batch]
    padded = pad_sequence(seqs, batch_first=True, padding_side="left")
    lengths = torch.tensor([len(s) for s in seqs], device=padded.device)
    labels = torch.tensor([label for _, label in batch], device=padded.device)
    return padded, lengths, labels
'''),
    ],
    "split_train_val": [
        ("not shuffled: the first samples for training, the last for validation", '''
def split_train_val(dataset, val_fraction, seed):
    from torch.utils.data import Subset

    n_val = int(len(dataset) * val_fraction)
    n_train = len(dataset) - n_val
    return Subset(dataset, list(range(n_train))), Subset(dataset, list(range(n_train, len(dataset))))
'''),
        ("random_split without a generator: a different split on every run", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    train_part, val_part = random_split(dataset, [len(dataset) - n_val, n_val])
    return train_part, val_part
'''),
        ("the sizes swapped: the validation part gets the larger share", '''
def split_train_val(dataset, val_fraction, seed):
    n_val = int(len(dataset) * val_fraction)
    generator = torch.Generator().manual_seed(seed)
    val_part, train_part = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return train_part, val_part
'''),
    ],
}
