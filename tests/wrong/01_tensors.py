"""Known-wrong solutions for 01_tensors: mistakes learners really make.

``WRONG`` holds the mistakes that fail on any machine. ``CUDA_ONLY`` holds device mistakes
(a tensor left on the CPU) that are correct on a CPU-only machine and can only fail where
CUDA exists; course.testing adds them to ``WRONG`` there, so a GPU run checks them too.
"""

WRONG = {
    "make_tensor": [
        ("dtype ignored: torch.tensor infers int64 from ints", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.tensor(data, device=device)
'''),
        ("legacy torch.Tensor constructor: always float32", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.Tensor(data).to(device)
'''),
        ("legacy FloatTensor then .to(): a plain number n makes n uninitialised elements", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.FloatTensor(data).to(dtype=dtype, device=device)
'''),
        ("converted after creation: Python floats pass through float32 and lose digits in float64", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.tensor(data).to(dtype=dtype, device=device)
'''),
        ("wrapped the data in a list: a plain number gives shape (1,)", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    if not isinstance(data, list):
        data = [data]
    return torch.tensor(data, dtype=dtype, device=device)
'''),
    ],
    "to_numpy": [
        (".numpy() directly: fails on tensors that require grad (and on the GPU)", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    return t.numpy()
'''),
        (".cpu() but no detach(): fails on tensors that require grad", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    return t.cpu().numpy()
'''),
        ("through a Python list: float32 becomes float64", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    return np.array(t.tolist())
'''),
        ("through item()/tolist() per element: a rank-0 tensor gives a Python float, not an array", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    if t.dim() == 0:
        return t.item()
    return t.detach().cpu().numpy()
'''),
    ],
    "as_batch": [
        ("decided from the first size: a single grayscale image (1, 28, 28) passes as a batch", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim not in (rank, rank - 1):
        raise ValueError("wrong rank")
    if x.shape[0] == 1:
        return x
    return x.unsqueeze(0)
'''),
        ("unsqueeze(-1): the new dim goes at the end", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim == rank:
        return x
    if x.ndim == rank - 1:
        return x.unsqueeze(-1)
    raise ValueError("wrong rank")
'''),
        ("torch.stack([x]): the right shape, but a copy", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim == rank:
        return x
    if x.ndim == rank - 1:
        return torch.stack([x])
    raise ValueError("wrong rank")
'''),
        ("no ValueError: adds a dim whenever the rank is too small", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim < rank:
        return x.unsqueeze(0)
    return x
'''),
        ("squeeze(0) for unsqueeze(0), a mix-up that is easy to make", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim == rank:
        return x
    if x.ndim == rank - 1:
        return x.squeeze(0)
    raise ValueError("wrong rank")
'''),
        ("reshape with -1 first: a batch of one image is fine, but a copy is made for a non-contiguous sample", '''
def as_batch(x, rank):
    """Return x as a batch of the given rank (2, 3 or 4): x itself, or x with a leading dim of 1."""
    if x.ndim == rank:
        return x
    if x.ndim == rank - 1:
        return x.contiguous().view(1, *x.shape)
    raise ValueError("wrong rank")
'''),
    ],
    "set_border": [
        ("no clone: paints the caller's images", '''
def set_border(images, value):
    """Return a copy of `images` (N, H, W) whose one-pixel border is `value`."""
    out = images
    out[:, 0, :] = value
    out[:, -1, :] = value
    out[:, :, 0] = value
    out[:, :, -1] = value
    return out
'''),
        ("forgot the batch dim: indexes as if it were one image", '''
def set_border(images, value):
    """Return a copy of `images` (N, H, W) whose one-pixel border is `value`."""
    out = images.clone()
    out[0, :] = value
    out[-1, :] = value
    out[:, 0] = value
    out[:, -1] = value
    return out
'''),
        ("only top row and left column", '''
def set_border(images, value):
    """Return a copy of `images` (N, H, W) whose one-pixel border is `value`."""
    out = images.clone()
    out[:, 0, :] = value
    out[:, :, 0] = value
    return out
'''),
        ("detach() is not a copy: it shares the caller's memory", '''
def set_border(images, value):
    """Return a copy of `images` (N, H, W) whose one-pixel border is `value`."""
    out = images.detach()
    out[:, 0, :] = value
    out[:, -1, :] = value
    out[:, :, 0] = value
    out[:, :, -1] = value
    return out
'''),
        ("rows 1 and -2 instead of 0 and -1: an off-by-one frame", '''
def set_border(images, value):
    """Return a copy of `images` (N, H, W) whose one-pixel border is `value`."""
    out = images.clone()
    out[:, 1, :] = value
    out[:, -2, :] = value
    out[:, :, 1] = value
    out[:, :, -2] = value
    return out
'''),
    ],
    "normalize_rows": [
        ("keepdim forgotten: (N,) lines up with the columns", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    totals = x.sum(dim=1)
    safe = torch.where(totals > 0, totals, torch.ones_like(totals))
    return x / safe
'''),
        ("summed over dim 0 (columns) instead of dim 1", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    totals = x.sum(dim=0, keepdim=True)
    safe = torch.where(totals > 0, totals, torch.ones_like(totals))
    return x / safe
'''),
        ("divided by the sum of the whole tensor", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    total = x.sum()
    return x / total if total > 0 else x.clone()
'''),
        ("plain division: a row of zeros becomes nan", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    return x / x.sum(dim=1, keepdim=True)
'''),
        ("div_ in place: changes the caller's x", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    totals = x.sum(dim=1, keepdim=True)
    return x.div_(totals.clamp(min=1e-12))
'''),
        ("a fixed float32 ones tensor: float64 input comes back float32", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum; rows of zeros stay zeros."""
    totals = x.sum(dim=1, keepdim=True).float()
    safe = torch.where(totals > 0, totals, torch.ones_like(totals))
    return (x / safe).float()
'''),
    ],
    "linear_mse": [
        ("* (element-wise) instead of @ (matrix product)", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = (x * weight).sum(dim=-1) + bias
    return ((prediction - target) ** 2).mean().item()
'''),
        ("forgot the transpose", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = x @ weight + bias
    return ((prediction - target) ** 2).mean().item()
'''),
        ("torch.mm only takes 2-D matrices: fails for a single sample", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = torch.mm(x, weight.T) + bias
    return ((prediction - target) ** 2).mean().item()
'''),
        ("forgot .item(): returns a tensor", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = x @ weight.T + bias
    return ((prediction - target) ** 2).mean()
'''),
        ("sum instead of mean", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = x @ weight.T + bias
    return ((prediction - target) ** 2).sum().item()
'''),
        ("squared the mean error instead of averaging the squares", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = x @ weight.T + bias
    return ((prediction - target).mean() ** 2).item()
'''),
        ("mean over the batch only, then summed over the outputs", '''
def linear_mse(x, weight, bias, target):
    """Mean squared error between x @ weight.T + bias and target, as a Python float."""
    prediction = x @ weight.T + bias
    return ((prediction - target) ** 2).mean(dim=0).sum().item()
'''),
    ],
    "add_ones_column": [
        ("torch.ones is float32 on the CPU, whatever x is", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    ones = torch.ones(x.shape[0], 1)
    return torch.cat([x, ones], dim=1)
'''),
        ("cat without dim joins along dim 0", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    ones = x.new_ones(x.shape[0], 1)
    return torch.cat([x, ones])
'''),
        ("appended a row of ones instead of a column", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    ones = x.new_ones(1, x.shape[1])
    return torch.cat([x, ones], dim=0)
'''),
        ("ones in front: the first column, not the last", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    ones = torch.ones_like(x[:, :1])
    return torch.cat([ones, x], dim=1)
'''),
    ],
    "reproducible_noise": [
        ("no seed at all", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    noise = torch.randn(shape)
    return noise.to(device)
'''),
        ("seeded the global generator: the numbers repeat, but everybody else's random numbers change", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    torch.manual_seed(seed)
    return torch.randn(shape).to(device)
'''),
        ("rand (uniform on [0, 1)) instead of randn (normal)", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=generator).to(device)
'''),
        ("one generator made once and reused: the second call gives the next numbers", '''
_noise_generator = torch.Generator()

def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    if _noise_generator.initial_seed() != seed:
        _noise_generator.manual_seed(seed)
    return torch.randn(shape, generator=_noise_generator).to(device)
'''),
        ("float64 noise: torch.randn with dtype=torch.double", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float64).to(device)
'''),
    ],
    "images_for_plot": [
        ("the squeeze() bug left in: a batch of one image loses its batch dim", '''
def images_for_plot(batch):
    """(N, C, H, W) images -> (N, H, W, C) when C == 3, (N, H, W) when C == 1."""
    images = batch.permute(0, 2, 3, 1)
    return images.squeeze()
'''),
        ("the reshape bug left in: right shape, pixels scrambled", '''
def images_for_plot(batch):
    """(N, C, H, W) images -> (N, H, W, C) when C == 3, (N, H, W) when C == 1."""
    n, c, h, w = batch.shape
    images = batch.reshape(n, h, w, c)
    return images.squeeze(-1) if c == 1 else images
'''),
        ("transpose(1, 3): (N, W, H, C), rows and columns swapped", '''
def images_for_plot(batch):
    """(N, C, H, W) images -> (N, H, W, C) when C == 3, (N, H, W) when C == 1."""
    images = batch.transpose(1, 3)
    return images.squeeze(-1) if images.shape[-1] == 1 else images
'''),
        ("always takes channel 0: colour images lose two channels", '''
def images_for_plot(batch):
    """(N, C, H, W) images -> (N, H, W, C) when C == 3, (N, H, W) when C == 1."""
    images = batch.permute(0, 2, 3, 1)
    return images[..., 0]
'''),
        ("squeeze(1) after the permute removes H when it is 1, not the channel", '''
def images_for_plot(batch):
    """(N, C, H, W) images -> (N, H, W, C) when C == 3, (N, H, W) when C == 1."""
    n, c, h, w = batch.shape
    images = batch.permute(0, 2, 3, 1)
    return images.squeeze(1) if c == 1 and h == 1 else images.squeeze(3)
'''),
    ],
    "select_features": [
        ("dim 0 picks rows, not columns", '''
def select_features(x, names, wanted):
    """Return the columns of x (N, D) named in wanted, in that order: (N, len(wanted))."""
    index = torch.tensor([names.index(name) for name in wanted], device=x.device)
    return x.index_select(0, index)
'''),
        ("a boolean mask: loses the order and the repeats", '''
def select_features(x, names, wanted):
    """Return the columns of x (N, D) named in wanted, in that order: (N, len(wanted))."""
    mask = torch.tensor([name in wanted for name in names], device=x.device)
    return x[:, mask]
'''),
        ("through a set: the repeats are gone and the order is lost", '''
def select_features(x, names, wanted):
    """Return the columns of x (N, D) named in wanted, in that order: (N, len(wanted))."""
    index = sorted({names.index(name) for name in wanted})
    return x[:, index]
'''),
        ("special case for one name: plain indexing drops the dim", '''
def select_features(x, names, wanted):
    """Return the columns of x (N, D) named in wanted, in that order: (N, len(wanted))."""
    if len(wanted) == 1:
        return x[:, names.index(wanted[0])]
    return torch.stack([x[:, names.index(name)] for name in wanted], dim=1)
'''),
    ],
    "peak_location": [
        ("view on a non-contiguous map fails", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    n, h, w = maps.shape
    values, flat_index = maps.view(n, -1).max(dim=1)
    return values, torch.stack([flat_index // w, flat_index % w], dim=1)
'''),
        ("row and column from the height instead of the width", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    n, h, w = maps.shape
    values, flat_index = maps.reshape(n, -1).max(dim=1)
    return values, torch.stack([flat_index // h, flat_index % h], dim=1)
'''),
        ("row and column swapped", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    n, h, w = maps.shape
    values, flat_index = maps.reshape(n, -1).max(dim=1)
    return values, torch.stack([flat_index % w, flat_index // w], dim=1)
'''),
        ("true division: positions come back as floats", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    n, h, w = maps.shape
    values, flat_index = maps.reshape(n, -1).max(dim=1)
    rows = torch.floor(flat_index / w)
    return values, torch.stack([rows, flat_index - rows * w], dim=1)
'''),
        ("nonzero of maps == max: a tie gives two positions for one map", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    values = maps.amax(dim=(1, 2))
    hits = torch.nonzero(maps == values[:, None, None])
    return values, hits[:, 1:]
'''),
        ("max over columns, then over rows, but kept the column of the first row", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    row_best, cols = maps.max(dim=2)
    values, rows = row_best.max(dim=1)
    return values, torch.stack([rows, cols[:, 0]], dim=1)
'''),
        ("max down the columns first: a tie is broken in column order, not in reading order", '''
def peak_location(maps):
    """Return (values (N,), positions (N, 2) int64 [row, col]) of the maximum of each map (N, H, W)."""
    col_best, best_row = maps.max(dim=1)
    values, cols = col_best.max(dim=1)
    rows = best_row.gather(1, cols.unsqueeze(1)).squeeze(1)
    return values, torch.stack([rows, cols], dim=1)
'''),
    ],
    "numpy_shared": [
        ("torch.tensor(arr) copies: the caller's array never changes", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.tensor(arr)
    mean = table.mean(dim=0, keepdim=True)
    std = table.std(dim=0, correction=0, keepdim=True)
    table.sub_(mean).div_(torch.where(std > 0, std, torch.ones_like(std)))
    return table
'''),
        ("out of place: t = (t - mean) / std rebinds the name, the array stays as it was", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.from_numpy(arr)
    mean = table.mean(dim=0, keepdim=True)
    std = table.std(dim=0, correction=0, keepdim=True)
    table = (table - mean) / torch.where(std > 0, std, torch.ones_like(std))
    return table
'''),
        (".float() on a float64 array: a float32 copy", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.from_numpy(arr).float()
    mean = table.mean(dim=0, keepdim=True)
    std = table.std(dim=0, correction=0, keepdim=True)
    table.sub_(mean).div_(torch.where(std > 0, std, torch.ones_like(std)))
    return table
'''),
        ("the sample standard deviation (divides by N - 1)", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.from_numpy(arr)
    mean = table.mean(dim=0, keepdim=True)
    std = table.std(dim=0, keepdim=True)
    table.sub_(mean).div_(torch.where(std > 0, std, torch.ones_like(std)))
    return table
'''),
        ("no guard for a constant column: 0 / 0 gives nan", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.from_numpy(arr)
    mean = table.mean(dim=0, keepdim=True)
    std = table.std(dim=0, correction=0, keepdim=True)
    table.sub_(mean).div_(std)
    return table
'''),
        ("statistics per row (dim=1) instead of per column", '''
def standardize_array_(arr):
    """Standardise each column of the NumPy array arr (N, D) in place; return a tensor sharing its memory."""
    table = torch.from_numpy(arr)
    mean = table.mean(dim=1, keepdim=True)
    std = table.std(dim=1, correction=0, keepdim=True)
    table.sub_(mean).div_(torch.where(std > 0, std, torch.ones_like(std)))
    return table
'''),
    ],
}

# Device mistakes: indistinguishable from the reference on a CPU-only machine.
CUDA_ONLY = {
    "make_tensor": [
        ("device forgotten: always on the CPU", '''
def make_tensor(data, dtype, device):
    """Return `data` (a number or nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.tensor(data, dtype=dtype)
'''),
    ],
    "to_numpy": [
        ("detach() but no cpu()", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    return t.detach().numpy()
'''),
    ],
    "select_features": [
        ("legacy LongTensor index stays on the CPU", '''
def select_features(x, names, wanted):
    """Return the columns of x (N, D) named in wanted, in that order: (N, len(wanted))."""
    return x.index_select(1, torch.LongTensor([names.index(name) for name in wanted]))
'''),
    ],
    "reproducible_noise": [
        ("drew with a generator on the device: CUDA's generator gives other numbers than the CPU's", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) float32 noise of this shape on device, the same for the same seed."""
    generator = torch.Generator(device=device).manual_seed(seed)
    return torch.randn(shape, generator=generator, device=device)
'''),
    ],
    "add_ones_column": [
        ("ones made on the CPU: torch.cat refuses tensors on two devices", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype)
    return torch.cat([x, ones], dim=1)
'''),
    ],
}
