"""Correct alternatives for 04_nn: written differently from the reference, and right by the task's text."""

RIGHT = {
    "softmax_predict": [
        ("nn.Softmax over the last dimension, max(...).indices", '''
def softmax_predict(logits):
    probs = nn.Softmax(dim=-1)(logits)
    return probs, torch.max(logits, dim=1).indices
'''),
        ("exp of log_softmax, argmax of the probabilities", '''
def softmax_predict(logits):
    probs = F.log_softmax(logits, dim=1).exp()
    return probs, probs.argmax(dim=1)
'''),
    ],
    "count_trainable_parameters": [
        ("a loop over named_parameters", '''
def count_trainable_parameters(model):
    total = 0
    for _, p in model.named_parameters():
        if p.requires_grad:
            total += p.numel()
    return total
'''),
        ("a set of parameter ids over every module's own parameters", '''
def count_trainable_parameters(model):
    seen = {}
    for module in model.modules():
        for p in module.parameters(recurse=False):
            if p.requires_grad:
                seen[id(p)] = p.numel()
    return int(sum(seen.values()))
'''),
    ],
    "mlp": [
        ("an nn.ModuleList and a loop in forward, flatten(1)", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        sizes = [in_features, *hidden_sizes, num_classes]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.linears[:-1]:
            x = torch.relu(layer(x))
        return self.linears[-1](x)
'''),
        ("the output layer registered before the hidden ones, add_module with names, reshape", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        self.out = nn.Linear(hidden_sizes[-1] if hidden_sizes else in_features, num_classes)
        self.hidden = nn.Sequential()
        width = in_features
        for i, size in enumerate(hidden_sizes):
            self.hidden.add_module(f"fc{i}", nn.Linear(width, size))
            self.hidden.add_module(f"act{i}", nn.ReLU())
            width = size

    def forward(self, x):
        return self.out(self.hidden(x.reshape(x.shape[0], -1)))
'''),
    ],
    "logistic_regression": [
        ("F.linear on the layer's weights, predict through predict_proba", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.fc = nn.Linear(num_features, 1)

    def forward(self, x):
        return F.linear(x, self.fc.weight, self.fc.bias)

    def predict_proba(self, x):
        return self.forward(x).sigmoid()

    def predict(self, x):
        return (self.predict_proba(x) > 0.5).to(torch.long)
'''),
        ("a Sequential inside, torch.where for the labels", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(num_features, 1))

    def forward(self, x):
        return self.body(x)

    def predict_proba(self, x):
        return 1 / (1 + torch.exp(-self(x)))

    def predict(self, x):
        z = self(x)
        return torch.where(z > 0, torch.ones_like(z), torch.zeros_like(z)).long()
'''),
    ],
    "make_sequential": [
        ("deep copies of the two Linear layers", '''
import copy


def make_sequential(net):
    return nn.Sequential(copy.deepcopy(net.layer1), nn.Tanh(), copy.deepcopy(net.layer3))
'''),
        ("new layers created on the right device and dtype, filled with copy_ under no_grad", '''
def make_sequential(net):
    w1, w3 = net.layer1.weight, net.layer3.weight
    seq = nn.Sequential(
        nn.Linear(w1.shape[1], w1.shape[0], device=w1.device, dtype=w1.dtype),
        nn.Tanh(),
        nn.Linear(w3.shape[1], w3.shape[0], device=w3.device, dtype=w3.dtype),
    )
    with torch.no_grad():
        for new, old in ((seq[0], net.layer1), (seq[2], net.layer3)):
            new.weight.copy_(old.weight)
            new.bias.copy_(old.bias)
    return seq
'''),
    ],
    "collapse_linear": [
        ("probe the composition with the identity matrix and zeros", '''
def collapse_linear(first, second):
    w = first.weight
    with torch.no_grad():
        bias = second(first(torch.zeros(1, first.in_features, device=w.device, dtype=w.dtype)))[0]
        weight = (second(first(torch.eye(first.in_features, device=w.device, dtype=w.dtype))) - bias).T
    merged = nn.Linear(first.in_features, second.out_features).to(w)
    merged.load_state_dict({"weight": weight, "bias": bias})
    return merged
'''),
        ("einsum, new Parameters assigned on a layer moved with .to(tensor)", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features).to(first.weight)
    with torch.no_grad():
        weight = torch.einsum("oh,hi->oi", second.weight, first.weight)
        bias = torch.mv(second.weight, first.bias) + second.bias
    merged.weight = nn.Parameter(weight.clone())
    merged.bias = nn.Parameter(bias.clone())
    return merged
'''),
    ],
    "predict_on_device": [
        ("inference_mode and chained calls", '''
def predict_on_device(model, x, device):
    model = model.to(device).eval()
    with torch.inference_mode():
        out = model(x.to(device))
    return out
'''),
        ("train(False), set_grad_enabled(False), and a torch.device built from the argument", '''
def predict_on_device(model, x, device):
    device = torch.device(device)
    model.train(False)
    model.to(device)
    inputs = x.to(device=device)
    with torch.set_grad_enabled(False):
        result = model(inputs)
    return result
'''),
    ],
    "accuracy": [
        ("a deep copy in eval mode: the caller's model is never touched", '''
import copy


def fixed_accuracy(model, x, y):
    judge = copy.deepcopy(model).eval()
    with torch.inference_mode():
        hits = (judge(x).argmax(dim=1) == y).sum().item()
    return hits / len(y)
'''),
        ("train(False) and the mode put back with train(mode), counted with torch.eq", '''
def fixed_accuracy(model, x, y):
    mode = model.training
    model.train(False)
    with torch.no_grad():
        logits = model(x)
    model.train(mode)
    return float(torch.eq(logits.max(dim=1).indices, y).double().mean())
'''),
    ],
    "freeze_by_name": [
        ("a regular expression per prefix, attribute assignment", '''
import re


def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    patterns = [re.compile(re.escape(p) + r"(\\.|$)") for p in prefixes]
    frozen = []
    for name, param in model.named_parameters():
        if any(pat.match(name) for pat in patterns):
            param.requires_grad = False
            frozen.append(name)
        else:
            param.requires_grad = True
    return frozen
'''),
        ("names compared as lists of dotted parts", '''
def freeze_by_name(model, prefixes):
    wanted = [prefixes.split(".")] if isinstance(prefixes, str) else [p.split(".") for p in prefixes]
    named = list(model.named_parameters())
    for _, param in named:
        param.requires_grad_(True)
    frozen = [name for name, _ in named if any(name.split(".")[: len(w)] == w for w in wanted)]
    for name, param in named:
        if name in frozen:
            param.requires_grad_(False)
    return frozen
'''),
    ],
    "output_length": [
        ("one helper for ints and 1-tuples, any layer with a kernel_size", '''
def output_length(layers, length):
    def one(v):
        return v[0] if isinstance(v, tuple) else v

    for layer in layers:
        if not hasattr(layer, "kernel_size"):
            continue
        k, s = one(layer.kernel_size), one(layer.stride)
        p, d = one(layer.padding), one(layer.dilation)
        span = d * (k - 1) + 1
        length = (length + 2 * p - span) // s + 1
    return int(length)
'''),
        ("count the windows that fit, with math.floor", '''
import math


def output_length(layers, length):
    for layer in layers:
        if type(layer) is nn.Conv1d:
            k, s, p, d = (layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.dilation[0])
        elif type(layer) is nn.MaxPool1d:
            k, s, p, d = (layer.kernel_size, layer.stride, layer.padding, layer.dilation)
        else:
            continue
        padded = length + 2 * p
        span = d * (k - 1) + 1
        length = math.floor((padded - span) / s) + 1
    return length
'''),
    ],
    "text_cnn": [
        ("an nn.ModuleDict keyed by kernel size, AdaptiveMaxPool1d", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.branches = nn.ModuleDict({str(k): nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes})
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.out = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1).contiguous()
        feats = [self.pool(F.relu(conv(x))).squeeze(2) for conv in self.branches.values()]
        return self.out(torch.cat(feats, dim=-1))
'''),
        ("convs registered with add_module, F.max_pool1d over the whole length", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.kernel_sizes = list(kernel_sizes)
        for k in self.kernel_sizes:
            self.add_module(f"conv{k}", nn.Conv1d(embed_dim, num_filters, kernel_size=k))
        self.fc = nn.Linear(num_filters * len(self.kernel_sizes), num_classes)

    def forward(self, x):
        x = torch.transpose(x, 1, 2)
        outs = []
        for k in self.kernel_sizes:
            h = torch.relu(getattr(self, f"conv{k}")(x))
            outs.append(F.max_pool1d(h, kernel_size=h.shape[2]).flatten(1))
        return self.fc(torch.cat(outs, 1))
'''),
    ],
}
