"""Known-wrong solutions for 04_nn: mistakes learners really make (procedure and edge inputs included)."""

WRONG = {
    "softmax_predict": [
        ("softmax over dim=0 (the batch)", '''
def softmax_predict(logits):
    probs = torch.softmax(logits, dim=0)
    return probs, probs.argmax(dim=1)
'''),
        ("exp() / sum() by hand overflows for large logits", '''
def softmax_predict(logits):
    e = logits.exp()
    probs = e / e.sum(dim=1, keepdim=True)
    return probs, logits.argmax(dim=1)
'''),
        ("labels from argmax over dim=0", '''
def softmax_predict(logits):
    return torch.softmax(logits, dim=1), logits.argmax(dim=0)
'''),
        ("probs computed in float32: a float64 input comes back float32", '''
def softmax_predict(logits):
    return torch.softmax(logits.float(), dim=1), logits.argmax(dim=1)
'''),
        ("squeeze() before argmax: a batch of one loses its batch dimension", '''
def softmax_predict(logits):
    return torch.softmax(logits, dim=1), logits.squeeze().argmax(dim=-1)
'''),
    ],
    "count_trainable_parameters": [
        ("frozen parameters counted", '''
def count_trainable_parameters(model):
    return sum(p.numel() for p in model.parameters())
'''),
        ("counted parameter tensors, not their elements", '''
def count_trainable_parameters(model):
    return len([p for p in model.parameters() if p.requires_grad])
'''),
        ("summed the state_dict (frozen parameters and buffers too)", '''
def count_trainable_parameters(model):
    return sum(v.numel() for v in model.state_dict().values())
'''),
        ("only frozen whole layers excluded: checked the weight, not each parameter", '''
def count_trainable_parameters(model):
    total = 0
    for layer in model.modules():
        weight = getattr(layer, "weight", None)
        if isinstance(weight, torch.nn.Parameter) and weight.requires_grad:
            total += sum(p.numel() for p in layer.parameters(recurse=False))
    return total
'''),
    ],
    "mlp": [
        ("hidden layers kept in a plain Python list: not registered, invisible to parameters() and .to()", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        self.layers = []
        width = in_features
        for size in hidden_sizes:
            self.layers.append(nn.Linear(width, size))
            width = size
        self.out = nn.Linear(width, num_classes)

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.out(x)
'''),
        ("a ReLU after the last Linear layer", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        layers = [nn.Flatten()]
        width = in_features
        for size in [*hidden_sizes, num_classes]:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
'''),
        ("a softmax inside a model meant for CrossEntropyLoss", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        layers = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers += [nn.Linear(width, num_classes), nn.Softmax(dim=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
'''),
        ("no activation between the hidden layers", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        sizes = [in_features, *hidden_sizes, num_classes]
        self.net = nn.Sequential(nn.Flatten(), *[nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        return self.net(x)
'''),
        ("flattened with view(-1, 784): a hard-coded image size", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        layers = []
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.reshape(-1, 784))
'''),
        ("the first hidden layer assumed: fails when hidden_sizes is empty", '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, num_classes):
        super().__init__()
        layers = [nn.Flatten(), nn.Linear(in_features, hidden_sizes[0]), nn.ReLU()]
        for a, b in zip(hidden_sizes, hidden_sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(hidden_sizes[-1], num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
'''),
    ],
    "logistic_regression": [
        ("the old convention: squeeze(1) gives logits of shape (N,), not (N, 1)", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(1)

    def predict_proba(self, x):
        return torch.sigmoid(self(x))

    def predict(self, x):
        return (self(x) > 0).long()
'''),
        ("forward applies the sigmoid: returns probabilities, not logits", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))

    def predict_proba(self, x):
        return self(x)

    def predict(self, x):
        return (self(x) > 0.5).long()
'''),
        ("softmax over a single logit (always 1)", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x)

    def predict_proba(self, x):
        return torch.softmax(self(x), dim=1)

    def predict(self, x):
        return (self(x) > 0).long()
'''),
        ("predict with >= : a probability of exactly 0.5 becomes 1", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x)

    def predict_proba(self, x):
        return torch.sigmoid(self(x))

    def predict(self, x):
        return (self.predict_proba(x) >= 0.5).long()
'''),
        ("predict returns booleans, not long labels", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x)

    def predict_proba(self, x):
        return torch.sigmoid(self(x))

    def predict(self, x):
        return self(x) > 0
'''),
        ("casts the input to float32: breaks a float64 model", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x.float())

    def predict_proba(self, x):
        return torch.sigmoid(self(x))

    def predict(self, x):
        return (self(x) > 0).long()
'''),
    ],
    "make_sequential": [
        ("nn.Tanh, the class, instead of nn.Tanh() (the notes' mistake)", '''
def make_sequential(net):
    first, last = net.layer1, net.layer3
    seq = nn.Sequential(
        nn.Linear(first.in_features, first.out_features),
        nn.Tanh,
        nn.Linear(last.in_features, last.out_features),
    ).to(first.weight.device)
    seq.load_state_dict({"0.weight": first.weight, "0.bias": first.bias, "2.weight": last.weight, "2.bias": last.bias})
    return seq
'''),
        ("reused net's layers: the weights are shared, not copied", '''
def make_sequential(net):
    return nn.Sequential(net.layer1, net.layer2, net.layer3)
'''),
        ("new layers, weights never copied", '''
def make_sequential(net):
    first, last = net.layer1, net.layer3
    return nn.Sequential(
        nn.Linear(first.in_features, first.out_features),
        nn.Tanh(),
        nn.Linear(last.in_features, last.out_features),
    ).to(first.weight.device)
'''),
        ("loaded net's state_dict as is: the keys do not match", '''
def make_sequential(net):
    first, last = net.layer1, net.layer3
    seq = nn.Sequential(
        nn.Linear(first.in_features, first.out_features),
        nn.Tanh(),
        nn.Linear(last.in_features, last.out_features),
    ).to(first.weight.device)
    seq.load_state_dict(net.state_dict())
    return seq
'''),
        ("the new layers keep the default float32: a float64 net gives a float32 copy", '''
def make_sequential(net):
    first, last = net.layer1, net.layer3
    seq = nn.Sequential(
        nn.Linear(first.in_features, first.out_features),
        nn.Tanh(),
        nn.Linear(last.in_features, last.out_features),
    ).to(first.weight.device)
    seq.load_state_dict({"0.weight": first.weight, "0.bias": first.bias, "2.weight": last.weight, "2.bias": last.bias})
    return seq
'''),
    ],
    "collapse_linear": [
        ("forgot to pass the first bias through the second layer", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features, device=first.weight.device, dtype=first.weight.dtype)
    with torch.no_grad():
        merged.weight.copy_(second.weight @ first.weight)
        merged.bias.copy_(second.bias)
    return merged
'''),
        ("multiplied the weights in the wrong order", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features, device=first.weight.device, dtype=first.weight.dtype)
    with torch.no_grad():
        merged.weight.copy_(first.weight.T @ second.weight.T)
        merged.bias.copy_(second.weight @ first.bias + second.bias)
    return merged
'''),
        ("added the two biases instead of W2 @ b1 + b2", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features, device=first.weight.device, dtype=first.weight.dtype)
    with torch.no_grad():
        merged.weight.copy_(second.weight @ first.weight)
        merged.bias.copy_(first.bias + second.bias)
    return merged
'''),
        ("the merged layer created in float32 whatever the layers' dtype", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features, device=first.weight.device)
    with torch.no_grad():
        merged.weight.copy_(second.weight @ first.weight)
        merged.bias.copy_(second.weight @ first.bias + second.bias)
    return merged
'''),
        ("bias = second.bias; bias += ...: an alias, so second's bias changes in place", '''
def collapse_linear(first, second):
    merged = nn.Linear(first.in_features, second.out_features, device=first.weight.device, dtype=first.weight.dtype)
    with torch.no_grad():
        bias = second.bias
        bias += second.weight @ first.bias
        merged.weight.copy_(second.weight @ first.weight)
        merged.bias.copy_(bias)
    return merged
'''),
    ],
    "predict_on_device": [
        ("forgot eval(): dropout still active", '''
def predict_on_device(model, x, device):
    model.to(device)
    with torch.no_grad():
        return model(x.to(device))
'''),
        ("forgot torch.no_grad(): the output tracks gradients", '''
def predict_on_device(model, x, device):
    model.to(device)
    model.eval()
    return model(x.to(device))
'''),
        ("picked the device with torch.cuda.is_available (no call), ignoring the argument", '''
def predict_on_device(model, x, device):
    device = "cuda" if torch.cuda.is_available else "cpu"
    model.to(device)
    model.eval()
    with torch.no_grad():
        return model(x.to(device))
'''),
        ("model.eval without the parentheses: the model stays in training mode", '''
def predict_on_device(model, x, device):
    model.to(device)
    model.eval
    with torch.no_grad():
        return model(x.to(device))
'''),
        ("forward pass first, eval() afterwards: the prediction ran in training mode", '''
def predict_on_device(model, x, device):
    model.to(device)
    with torch.no_grad():
        out = model(x.to(device))
    model.eval()
    return out
'''),
    ],
    "accuracy": [
        ("the given function, unchanged: training mode, gradient tracking", '''
def fixed_accuracy(model, x, y):
    predicted = model(x).argmax(dim=1)
    return (predicted == y).float().mean().item()
'''),
        ("eval() and no_grad(), but the model is left in eval mode", '''
def fixed_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return (predicted == y).float().mean().item()
'''),
        ("eval() and then always train(): a model that arrived in eval mode leaves in train mode", '''
def fixed_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    model.train()
    return (predicted == y).float().mean().item()
'''),
        ("eval mode restored properly, but gradients are tracked", '''
def fixed_accuracy(model, x, y):
    was_training = model.training
    model.eval()
    predicted = model(x).argmax(dim=1)
    model.train(was_training)
    return (predicted == y).float().mean().item()
'''),
        ("no_grad() only: dropout and BatchNorm still in training mode", '''
def fixed_accuracy(model, x, y):
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return (predicted == y).float().mean().item()
'''),
        ("a deep copy in eval mode, but gradients are tracked on the copy", '''
import copy


def fixed_accuracy(model, x, y):
    judge = copy.deepcopy(model)
    judge.eval()
    return (judge(x).argmax(dim=1) == y).float().mean().item()
'''),
        ("returns a tensor, not a Python float", '''
def fixed_accuracy(model, x, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    model.train(was_training)
    return (predicted == y).float().mean()
'''),
    ],
    "freeze_by_name": [
        ("startswith(prefix) without the dot: 'features.1' also freezes features.10", '''
def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    frozen = []
    for name, param in model.named_parameters():
        hit = any(name.startswith(p) for p in prefixes)
        param.requires_grad_(not hit)
        if hit:
            frozen.append(name)
    return frozen
'''),
        ("changed requires_grad on the state_dict's tensors: the model is unchanged", '''
def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    frozen = []
    for name, tensor in model.state_dict().items():
        hit = any(name == p or name.startswith(p + ".") for p in prefixes)
        tensor.requires_grad_(not hit)
        if hit:
            frozen.append(name)
    return frozen
'''),
        ("the other parameters are not made trainable again", '''
def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    frozen = []
    for name, param in model.named_parameters():
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            param.requires_grad_(False)
            frozen.append(name)
    return frozen
'''),
        ("a single string looped over letter by letter", '''
def freeze_by_name(model, prefixes):
    frozen = []
    for name, param in model.named_parameters():
        hit = any(name == p or name.startswith(p + ".") for p in prefixes)
        param.requires_grad_(not hit)
        if hit:
            frozen.append(name)
    return frozen
'''),
        ("a substring test: '0' matches features.10 and classifier.0", '''
def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    frozen = []
    for name, param in model.named_parameters():
        hit = any(p in name for p in prefixes)
        param.requires_grad_(not hit)
        if hit:
            frozen.append(name)
    return frozen
'''),
        ("new Parameter objects: an optimizer built before no longer sees the model's parameters", '''
def freeze_by_name(model, prefixes):
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    frozen = []
    for module_name, module in model.named_modules():
        for pname, param in list(module.named_parameters(recurse=False)):
            name = f"{module_name}.{pname}" if module_name else pname
            hit = any(name == p or name.startswith(p + ".") for p in prefixes)
            setattr(module, pname, nn.Parameter(param.detach(), requires_grad=not hit))
    for name, param in model.named_parameters():
        if not param.requires_grad:
            frozen.append(name)
    return frozen
'''),
    ],
    "output_length": [
        ("max-pooling treated as a layer that keeps the length", '''
def output_length(layers, length):
    for layer in layers:
        if isinstance(layer, nn.Conv1d):
            k, s, p, d = layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.dilation[0]
            length = (length + 2 * p - d * (k - 1) - 1) // s + 1
    return length
'''),
        ("dilation ignored", '''
def output_length(layers, length):
    for layer in layers:
        if isinstance(layer, nn.Conv1d):
            k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        elif isinstance(layer, nn.MaxPool1d):
            k, s, p = layer.kernel_size, layer.stride, layer.padding
        else:
            continue
        length = (length + 2 * p - (k - 1) - 1) // s + 1
    return length
'''),
        ("ran a dummy input through the layers instead of computing", '''
def output_length(layers, length):
    x = torch.zeros(1, 2, length)
    with torch.no_grad():
        for layer in layers:
            x = layer.eval()(x.to(next(layer.parameters(), x).device))
    return int(x.shape[-1])
'''),
        ("true division: a float, not an int", '''
def output_length(layers, length):
    for layer in layers:
        if isinstance(layer, nn.Conv1d):
            k, s, p, d = layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.dilation[0]
        elif isinstance(layer, nn.MaxPool1d):
            k, s, p, d = layer.kernel_size, layer.stride, layer.padding, layer.dilation
        else:
            continue
        length = (length + 2 * p - d * (k - 1) - 1) / s + 1
    return length
'''),
        ("the pool's stride taken as 1", '''
def output_length(layers, length):
    for layer in layers:
        if isinstance(layer, nn.Conv1d):
            k, s, p, d = layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.dilation[0]
        elif isinstance(layer, nn.MaxPool1d):
            k, s, p, d = layer.kernel_size, 1, layer.padding, layer.dilation
        else:
            continue
        length = (length + 2 * p - d * (k - 1) - 1) // s + 1
    return length
'''),
    ],
    "text_cnn": [
        ("the permute forgotten", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        return self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))
'''),
        ("view instead of permute: right shape, scrambled words", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        n, length, embed = x.shape
        x = x.view(n, embed, length)
        return self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))
'''),
        ("the convolutions in a plain Python list: not registered", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = [nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes]
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        return self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))
'''),
        ("pooled over the filters instead of over time", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        pooled = [torch.relu(conv(x)).amax(dim=1)[:, : conv.out_channels] for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))
'''),
        ("the pooled features concatenated in sorted kernel-size order, not the given order", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k) for k in sorted(kernel_sizes))
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        return self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))
'''),
        ("a softmax at the end of a model meant for CrossEntropyLoss", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_sizes, num_classes):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        logits = self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))
        return torch.softmax(logits, dim=1)
'''),
    ],
}
