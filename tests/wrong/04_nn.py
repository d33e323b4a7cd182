"""Known-wrong solutions for 04_nn: mistakes learners really make."""

WRONG = {
    "mlp": [
        ("a ReLU after the last Linear layer (the notes' network)", '''
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(),
            nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, 10), nn.ReLU(),
        )

    def forward(self, x):
        return self.layers(self.flatten(x))
'''),
        ("a softmax inside a model meant for CrossEntropyLoss", '''
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(),
            nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, 10), nn.Softmax(dim=1),
        )

    def forward(self, x):
        return self.layers(self.flatten(x))
'''),
        ("no activation between the hidden layers", '''
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(nn.Linear(28 * 28, 512), nn.Linear(512, 512), nn.Linear(512, 10))

    def forward(self, x):
        return self.layers(self.flatten(x))
'''),
    ],
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
    ],
    "conv1d_output_length": [
        ("the length formula off by one (forgot the + 1)", '''
def conv1d_output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
'''),
        ("ignored dilation", '''
def conv1d_output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    return (length + 2 * padding - (kernel_size - 1) - 1) // stride + 1
'''),
        ("true division: returns a float, not an int", '''
def conv1d_output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1
'''),
        ("padding counted on one side only", '''
def conv1d_output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    return (length + padding - dilation * (kernel_size - 1) - 1) // stride + 1
'''),
    ],
    "text_cnn": [
        ("the permute forgotten", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_size, num_classes):
        super().__init__()
        self.conv = nn.Conv1d(embed_dim, num_filters, kernel_size)
        self.fc = nn.Linear(num_filters, num_classes)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.amax(dim=2))
'''),
        ("view instead of permute: right shape, scrambled words", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_size, num_classes):
        super().__init__()
        self.conv = nn.Conv1d(embed_dim, num_filters, kernel_size)
        self.fc = nn.Linear(num_filters, num_classes)

    def forward(self, x):
        n, length, embed = x.shape
        h = torch.relu(self.conv(x.view(n, embed, length)))
        return self.fc(h.amax(dim=2))
'''),
        ("pooled over the filters instead of over time", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_size, num_classes):
        super().__init__()
        self.conv = nn.Conv1d(embed_dim, num_filters, kernel_size)
        self.fc = nn.Linear(num_filters, num_classes)

    def forward(self, x):
        h = torch.relu(self.conv(x.permute(0, 2, 1)))
        return self.fc(h.amax(dim=1))
'''),
        ("a softmax at the end of a model meant for CrossEntropyLoss", '''
class TextCNN(nn.Module):
    def __init__(self, embed_dim, num_filters, kernel_size, num_classes):
        super().__init__()
        self.conv = nn.Conv1d(embed_dim, num_filters, kernel_size)
        self.fc = nn.Linear(num_filters, num_classes)

    def forward(self, x):
        h = torch.relu(self.conv(x.permute(0, 2, 1)))
        return torch.softmax(self.fc(h.amax(dim=2)), dim=1)
'''),
    ],
    "logistic_regression": [
        ("forward applies the sigmoid: returns probabilities, not logits", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x)).squeeze(1)

    def predict_proba(self, x):
        return self(x)
'''),
        ("squeeze() without a dim: a batch of one loses its batch dimension", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze()

    def predict_proba(self, x):
        return torch.sigmoid(self(x))
'''),
        ("softmax over a single logit (always 1)", '''
class LogisticRegression(nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.linear = nn.Linear(num_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(1)

    def predict_proba(self, x):
        return torch.softmax(self.linear(x), dim=1).squeeze(1)
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
    ],
}
