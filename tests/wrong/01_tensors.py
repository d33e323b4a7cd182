"""Known-wrong solutions for 01_tensors: mistakes learners really make.

``WRONG`` holds the mistakes that fail on any machine. ``CUDA_ONLY`` holds device mistakes
(a tensor left on the CPU) that are correct on a CPU-only machine and can only fail where
CUDA exists; course.testing adds them to ``WRONG`` there, so a GPU run checks them too.
"""

WRONG = {
    "make_tensor": [
        ("dtype ignored: torch.tensor infers int64 from ints", '''
def make_tensor(data, dtype, device):
    """Return `data` (nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.tensor(data, device=device)
'''),
        ("legacy torch.Tensor constructor: always float32", '''
def make_tensor(data, dtype, device):
    """Return `data` (nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.Tensor(data).to(device)
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
    ],
    "normalize_rows": [
        ("keepdim forgotten", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum, so that every row sums to 1."""
    return x / x.sum(dim=1)
'''),
        ("summed over dim 0 (columns) instead of dim 1", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum, so that every row sums to 1."""
    return x / x.sum(dim=0, keepdim=True)
'''),
        ("divided by the sum of the whole tensor", '''
def normalize_rows(x):
    """Divide each row of x (N, D) by its sum, so that every row sums to 1."""
    return x / x.sum()
'''),
    ],
    "flatten_batch": [
        ("view(-1) flattens the batch dim away", '''
def flatten_batch(x):
    """Reshape x (N, d1, d2, ...) to (N, d1*d2*...), keeping the batch dim."""
    return x.view(-1)
'''),
        ("view on a non-contiguous tensor fails", '''
def flatten_batch(x):
    """Reshape x (N, d1, d2, ...) to (N, d1*d2*...), keeping the batch dim."""
    return x.view(x.shape[0], -1)
'''),
        ("-1 in the wrong place", '''
def flatten_batch(x):
    """Reshape x (N, d1, d2, ...) to (N, d1*d2*...), keeping the batch dim."""
    return x.reshape(-1, x.shape[0])
'''),
    ],
    "channels_first": [
        ("view when permute was needed: right shape, scrambled pixels", '''
def channels_first(x):
    """Return x (N, H, W, C) as (N, C, H, W)."""
    n, h, w, c = x.shape
    return x.view(n, c, h, w)
'''),
        ("wrong order: (N, C, W, H)", '''
def channels_first(x):
    """Return x (N, H, W, C) as (N, C, H, W)."""
    return x.permute(0, 3, 2, 1)
'''),
        ("transpose(1, 3) swaps H and C and leaves W, H in the wrong order", '''
def channels_first(x):
    """Return x (N, H, W, C) as (N, C, H, W)."""
    return x.transpose(1, 3)
'''),
    ],
    "add_batch_dim": [
        ("the notes' a.squeeze(0) for unsqueeze", '''
def add_batch_dim(image):
    """Return image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return image.squeeze(0)
'''),
        ("new dim at the end", '''
def add_batch_dim(image):
    """Return image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return image.unsqueeze(-1)
'''),
        ("new dim after the channels", '''
def add_batch_dim(image):
    """Return image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return image.unsqueeze(1)
'''),
    ],
    "drop_channel_dim": [
        ("squeeze() also drops a batch of one", '''
def drop_channel_dim(batch):
    """Return batch (N, 1, H, W) as (N, H, W)."""
    return batch.squeeze()
'''),
        ("squeezed dim 0, the batch dim", '''
def drop_channel_dim(batch):
    """Return batch (N, 1, H, W) as (N, H, W)."""
    return batch.squeeze(0)
'''),
        ("took the first image instead of the first channel", '''
def drop_channel_dim(batch):
    """Return batch (N, 1, H, W) as (N, H, W)."""
    return batch[0]
'''),
    ],
    "select_rows": [
        ("dim 1 picks columns, not rows", '''
def select_rows(x, idx):
    """Return the rows of x (N, D) listed in idx (a list of ints), in that order."""
    index = torch.tensor(idx, dtype=torch.long, device=x.device)
    return x.index_select(1, index)
'''),
        ("a boolean mask loses the order and the repeats", '''
def select_rows(x, idx):
    """Return the rows of x (N, D) listed in idx (a list of ints), in that order."""
    mask = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    mask[idx] = True
    return x[mask]
'''),
    ],
    "top_class": [
        ("max over dim 0 (per class) instead of dim 1 (per sample)", '''
def top_class(scores):
    """Return (values, indices): the best score of each row of scores (N, K) and its column."""
    values, indices = scores.max(dim=0)
    return values, indices
'''),
        ("argmax without dim: a position in the flattened tensor", '''
def top_class(scores):
    """Return (values, indices): the best score of each row of scores (N, K) and its column."""
    return scores.max(dim=1).values, scores.argmax()
'''),
        ("max without dim: one number, no indices", '''
def top_class(scores):
    """Return (values, indices): the best score of each row of scores (N, K) and its column."""
    return scores.max()
'''),
    ],
    "linear_layer": [
        ("* (element-wise) instead of @ (matrix product)", '''
def linear_layer(x, weight, bias):
    """Return x @ weight.T + bias for x (N, in) or (in,), weight (out, in), bias (out,)."""
    return x * weight.T + bias
'''),
        ("forgot the transpose", '''
def linear_layer(x, weight, bias):
    """Return x @ weight.T + bias for x (N, in) or (in,), weight (out, in), bias (out,)."""
    return x @ weight + bias
'''),
        ("torch.mm only takes 2-D matrices: fails for a single sample", '''
def linear_layer(x, weight, bias):
    """Return x @ weight.T + bias for x (N, in) or (in,), weight (out, in), bias (out,)."""
    return torch.mm(x, weight.T) + bias
'''),
    ],
    "mse_value": [
        ("forgot .item(): returns a tensor", '''
def mse_value(pred, target):
    """Return the mean squared error between pred and target as a Python float."""
    return ((pred - target) ** 2).mean()
'''),
        ("sum instead of mean", '''
def mse_value(pred, target):
    """Return the mean squared error between pred and target as a Python float."""
    return ((pred - target) ** 2).sum().item()
'''),
        ("squared the mean error instead of averaging the squares", '''
def mse_value(pred, target):
    """Return the mean squared error between pred and target as a Python float."""
    return ((pred - target).mean() ** 2).item()
'''),
    ],
    "scale_shift_inplace": [
        ("out of place: rebinds the local name, the caller's x is unchanged", '''
def scale_shift_(x, scale, shift):
    """Set x to x * scale + shift in place and return x."""
    x = x * scale + shift
    return x
'''),
        ("mul without underscore makes a copy first", '''
def scale_shift_(x, scale, shift):
    """Set x to x * scale + shift in place and return x."""
    return x.mul(scale).add_(shift)
'''),
        ("add without underscore: the shift is lost", '''
def scale_shift_(x, scale, shift):
    """Set x to x * scale + shift in place and return x."""
    x.mul_(scale)
    x.add(shift)
    return x
'''),
    ],
    "numpy_shared": [
        ("torch.tensor(arr) copies instead of sharing", '''
def numpy_to_tensor(arr):
    """Return a tensor that shares memory (and dtype) with the NumPy array arr."""
    return torch.tensor(arr)
'''),
        (".float() converts float64 to float32: a copy", '''
def numpy_to_tensor(arr):
    """Return a tensor that shares memory (and dtype) with the NumPy array arr."""
    return torch.from_numpy(arr).float()
'''),
        ("legacy torch.Tensor(arr): float32 copy", '''
def numpy_to_tensor(arr):
    """Return a tensor that shares memory (and dtype) with the NumPy array arr."""
    return torch.Tensor(arr)
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
    ],
    "add_ones_column": [
        ("torch.ones is float32 on the CPU, whatever x is", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    return torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)
'''),
        ("cat without dim joins along dim 0", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    return torch.cat([x, x.new_ones(x.shape[0], 1)])
'''),
        ("appended a row of ones instead of a column", '''
def add_ones_column(x):
    """Return x (N, D) with a column of ones appended: (N, D + 1), same dtype and device."""
    return torch.cat([x, x.new_ones(1, x.shape[1])], dim=0)
'''),
    ],
    "reproducible_noise": [
        ("no seed at all", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) noise of this shape on device, the same for the same seed."""
    return torch.randn(shape).to(device)
'''),
        ("seeded after drawing", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) noise of this shape on device, the same for the same seed."""
    noise = torch.randn(shape)
    torch.manual_seed(seed)
    return noise.to(device)
'''),
        ("rand (uniform) instead of randn (normal)", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) noise of this shape on device, the same for the same seed."""
    torch.manual_seed(seed)
    return torch.rand(shape).to(device)
'''),
    ],
}

# Device mistakes: indistinguishable from the reference on a CPU-only machine.
CUDA_ONLY = {
    "make_tensor": [
        ("device forgotten: always on the CPU", '''
def make_tensor(data, dtype, device):
    """Return `data` (nested lists of numbers) as a tensor with this dtype on this device."""
    return torch.tensor(data, dtype=dtype)
'''),
    ],
    "select_rows": [
        ("legacy LongTensor index stays on the CPU", '''
def select_rows(x, idx):
    """Return the rows of x (N, D) listed in idx (a list of ints), in that order."""
    return x.index_select(0, torch.LongTensor(idx))
'''),
    ],
    "to_numpy": [
        ("detach() but no cpu()", '''
def to_numpy(t):
    """Return the values of tensor t (any device, maybe requiring grad) as a NumPy array."""
    return t.detach().numpy()
'''),
    ],
    "reproducible_noise": [
        ("drew on the device: CUDA's generator gives other numbers than the CPU's", '''
def reproducible_noise(shape, seed, device):
    """Return N(0, 1) noise of this shape on device, the same for the same seed."""
    torch.manual_seed(seed)
    return torch.randn(shape, device=device)
'''),
    ],
}
