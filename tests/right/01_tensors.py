"""Correct alternatives for 01_tensors: solutions written differently from the reference.

``RIGHT = {solution_grade_id: [(how, source), ...]}``. Each must pass its own test cell: a test
that fails one of them is a defect of the test (or of the task text).
"""

RIGHT = {
    "make_tensor": [
        ("torch.as_tensor with dtype and device", '''
def make_tensor(data, dtype, device):
    return torch.as_tensor(data, dtype=dtype, device=device)
'''),
        ("created on the CPU with its dtype, then moved", '''
def make_tensor(data, dtype, device):
    t = torch.tensor(data, dtype=dtype)
    return t.to(device)
'''),
        ("through NumPy, which keeps Python floats as float64", '''
def make_tensor(data, dtype, device):
    array = np.array(data)
    return torch.from_numpy(array).to(device=device, dtype=dtype)
'''),
    ],
    "to_numpy": [
        ("to('cpu') and np.asarray", '''
def to_numpy(t):
    plain = t.detach().to("cpu")
    return np.asarray(plain)
'''),
        ("numpy(force=True) detaches and copies to the CPU itself", '''
def to_numpy(t):
    return t.numpy(force=True)
'''),
        ("cpu() first, then detach()", '''
def to_numpy(t):
    return t.cpu().detach().numpy()
'''),
    ],
    "as_batch": [
        ("len(x.shape) and x[None]", '''
def as_batch(x, rank):
    dims = len(x.shape)
    if dims == rank - 1:
        return x[None]
    if dims != rank:
        raise ValueError(f"need {rank - 1} or {rank} dims, not {dims}")
    return x
'''),
        ("view with the sizes spelled out", '''
def as_batch(x, rank):
    if x.dim() not in (rank - 1, rank):
        raise ValueError("a batch of rank %d needs %d or %d dims" % (rank, rank - 1, rank))
    return x if x.dim() == rank else x.view(1, *x.shape)
'''),
        ("reshape (a view whenever it can be)", '''
def as_batch(x, rank):
    if x.ndim == rank - 1:
        return x.reshape((1,) + tuple(x.shape))
    elif x.ndim == rank:
        return x
    else:
        raise ValueError("wrong number of dims")
'''),
    ],
    "set_border": [
        ("full_like, then copy the inside back", '''
def set_border(images, value):
    out = torch.full_like(images, value)
    out[:, 1:-1, 1:-1] = images[:, 1:-1, 1:-1]
    return out
'''),
        ("a boolean mask of the border and masked_fill", '''
def set_border(images, value):
    n, h, w = images.shape
    border = torch.ones(h, w, dtype=torch.bool, device=images.device)
    border[1:-1, 1:-1] = False
    return images.masked_fill(border, value)
'''),
        ("a loop over the images", '''
def set_border(images, value):
    out = images.clone()
    for image in out:
        image[0] = value
        image[-1] = value
        image[:, 0] = value
        image[:, -1] = value
    return out
'''),
    ],
    "normalize_rows": [
        ("divide, then turn the nan of empty rows into 0", '''
def normalize_rows(x):
    totals = x.sum(dim=-1, keepdim=True)
    return torch.nan_to_num(x / totals, nan=0.0)
'''),
        ("torch.nn.functional.normalize with the 1-norm", '''
def normalize_rows(x):
    return torch.nn.functional.normalize(x, p=1, dim=1)
'''),
        ("unsqueeze the sums and clamp the divisor", '''
def normalize_rows(x):
    sums = x.sum(1).unsqueeze(1)
    return x / sums.clamp(min=torch.finfo(x.dtype).tiny)
'''),
    ],
    "linear_mse": [
        ("functional linear and mse_loss", '''
def linear_mse(x, weight, bias, target):
    prediction = torch.nn.functional.linear(x, weight, bias)
    return float(torch.nn.functional.mse_loss(prediction, target))
'''),
        ("matmul with the transposed weight, then pow and mean", '''
def linear_mse(x, weight, bias, target):
    y = torch.matmul(x, weight.t()).add(bias)
    return (y - target).pow(2).mean().item()
'''),
        ("no gradient tracking, and the squares summed and divided", '''
def linear_mse(x, weight, bias, target):
    with torch.no_grad():
        error = weight.matmul(x.unsqueeze(-1)).squeeze(-1) + bias - target
        return (error * error).sum().item() / error.numel()
'''),
    ],
    "add_ones_column": [
        ("ones_like a one-column slice, then hstack", '''
def add_ones_column(x):
    return torch.hstack([x, torch.ones_like(x[:, :1])])
'''),
        ("an empty tensor filled in two steps", '''
def add_ones_column(x):
    n, d = x.shape
    out = x.new_empty(n, d + 1)
    out[:, :d] = x
    out[:, d] = 1
    return out
'''),
        ("torch.nn.functional.pad with the value 1", '''
def add_ones_column(x):
    padded = torch.nn.functional.pad(x, (0, 1), value=1)
    return padded
'''),
    ],
    "reproducible_noise": [
        ("fork_rng: seed a forked copy of the global generator", '''
def reproducible_noise(shape, seed, device):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        noise = torch.randn(shape)
    return noise.to(device)
'''),
        ("save and restore the global generator's state", '''
def reproducible_noise(shape, seed, device):
    saved = torch.get_rng_state()
    torch.manual_seed(seed)
    noise = torch.randn(*shape)
    torch.set_rng_state(saved)
    return noise.to(device)
'''),
        ("torch.normal with a private generator", '''
def reproducible_noise(shape, seed, device):
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.normal(0.0, 1.0, size=tuple(shape), generator=g).to(device=device)
'''),
    ],
    "images_for_plot": [
        ("movedim and index the only channel", '''
def images_for_plot(batch):
    images = torch.movedim(batch, 1, -1)
    return images[..., 0] if batch.shape[1] == 1 else images
'''),
        ("squeeze(-1) is a no-op unless the channel dim has size 1", '''
def images_for_plot(batch):
    channels_last = batch.permute(0, 2, 3, 1)
    return channels_last.squeeze(-1)
'''),
        ("two transposes, squeeze(3) for grayscale", '''
def images_for_plot(batch):
    n, c, h, w = batch.shape
    images = batch.transpose(1, 2).transpose(2, 3)
    if c == 1:
        images = images.squeeze(3)
    return images
'''),
    ],
    "select_features": [
        ("list.index and advanced indexing with a list", '''
def select_features(x, names, wanted):
    columns = [names.index(name) for name in wanted]
    return x[:, columns]
'''),
        ("a loop of columns and torch.stack", '''
def select_features(x, names, wanted):
    picked = []
    for name in wanted:
        picked.append(x[:, names.index(name)])
    return torch.stack(picked, dim=1)
'''),
        ("torch.index_select with torch.as_tensor", '''
def select_features(x, names, wanted):
    lookup = dict(zip(names, range(len(names))))
    index = torch.as_tensor([lookup[w] for w in wanted], device=x.device)
    return torch.index_select(x, 1, index)
'''),
    ],
    "peak_location": [
        ("flatten(1), argmax and unravel_index", '''
def peak_location(maps):
    flat = maps.flatten(start_dim=1)
    where = flat.argmax(dim=1)
    rows, cols = torch.unravel_index(where, maps.shape[1:])
    return flat.gather(1, where[:, None])[:, 0], torch.stack((rows, cols), dim=-1)
'''),
        ("max over columns, then over rows, then the column of the winning row", '''
def peak_location(maps):
    row_best, best_col = maps.max(dim=2)
    values, rows = row_best.max(dim=1)
    cols = best_col.gather(1, rows.unsqueeze(1)).squeeze(1)
    return values, torch.stack([rows, cols], dim=1)
'''),
        ("a loop over the maps", '''
def peak_location(maps):
    values, positions = [], []
    w = maps.shape[2]
    for m in maps:
        i = int(torch.argmax(m.contiguous().view(-1)))
        values.append(m.reshape(-1)[i])
        positions.append([i // w, i % w])
    return torch.stack(values), torch.tensor(positions, device=maps.device)
'''),
    ],
    "numpy_shared": [
        ("NumPy statistics, then torch.from_numpy", '''
def standardize_array_(arr):
    arr -= arr.mean(axis=0)
    std = arr.std(axis=0)
    std[std == 0] = 1
    arr /= std
    return torch.from_numpy(arr)
'''),
        ("as_tensor, compute out of place, then copy_ back into the shared memory", '''
def standardize_array_(arr):
    t = torch.as_tensor(arr)
    var, mean = torch.var_mean(t, dim=0, correction=0)
    std = var.sqrt()
    t.copy_(torch.where(std > 0, (t - mean) / std, torch.zeros_like(t)))
    return t
'''),
        ("augmented assignment (-=, /=) on the tensor works in place", '''
def standardize_array_(arr):
    t = torch.from_numpy(arr)
    t -= t.mean(0)
    spread = t.pow(2).mean(0).sqrt()
    spread[spread == 0] = 1.0
    t /= spread
    return t
'''),
    ],
}
