"""The train-step cases of train.ts in MLX (mlx-cpu) and PyTorch CPU: one JSON line per
(library, case), nanoseconds per optimizer step (forward, backward, Adam update, evaluation
forced), best of several rounds.

usage: train_reference.py mlx|torch   (reads the cases as JSON from stdin)
The models are the same as train.ts's: the MNIST demo's CNN and an MLP, float32, batch 128.
"""

import json
import sys
import time


def mlx_cases(cases):
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim

    class Cnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
            self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(7 * 7 * 64, 128)
            self.fc2 = nn.Linear(128, 10)

        def __call__(self, x):
            x = self.pool(nn.relu(self.conv1(x)))
            x = self.pool(nn.relu(self.conv2(x)))
            x = x.reshape(x.shape[0], -1)
            return self.fc2(nn.relu(self.fc1(x)))

    def mlp():
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

    for case in cases:
        model = Cnn() if case["model"] == "cnn" else mlp()
        optimizer = optim.Adam(learning_rate=1e-3)
        shape = [case["batch"], 28, 28, 1] if case["model"] == "cnn" else [case["batch"], 784]
        x = mx.random.uniform(shape=shape)
        y = mx.random.randint(0, 10, [case["batch"]])
        mx.eval(x, y, model.parameters())

        def loss_fn(m, x, y):
            return nn.losses.cross_entropy(m(x), y, reduction="mean")

        step_grad = nn.value_and_grad(model, loss_fn)

        def step():
            loss, grads = step_grad(model, x, y)
            optimizer.update(model, grads)
            mx.eval(loss, model.parameters(), optimizer.state)

        report("mlx", case, step)


def torch_cases(cases):
    import torch
    import torch.nn as tnn

    torch.set_num_threads(case_threads())

    class Cnn(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 32, 3, padding=1)
            self.conv2 = tnn.Conv2d(32, 64, 3, padding=1)
            self.pool = tnn.MaxPool2d(2, 2)
            self.fc1 = tnn.Linear(7 * 7 * 64, 128)
            self.fc2 = tnn.Linear(128, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            x = x.flatten(1)
            return self.fc2(torch.relu(self.fc1(x)))

    def mlp():
        return tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 512), tnn.ReLU(), tnn.Linear(512, 10))

    for case in cases:
        model = Cnn() if case["model"] == "cnn" else mlp()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        shape = [case["batch"], 1, 28, 28] if case["model"] == "cnn" else [case["batch"], 784]
        x = torch.rand(shape)
        y = torch.randint(0, 10, [case["batch"]])
        loss_fn = tnn.CrossEntropyLoss()

        def step():
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()

        report("torch", case, step)


def case_threads():
    import os

    return len(os.sched_getaffinity(0))


def report(library, case, step):
    for _ in range(3):
        step()
    best = float("inf")
    for _ in range(case["rounds"]):
        start = time.perf_counter_ns()
        step()
        best = min(best, time.perf_counter_ns() - start)
    print(json.dumps({"runtime": library, "case": case["name"], "ns": best}), flush=True)


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    {"mlx": mlx_cases, "torch": torch_cases}[sys.argv[1]](cases)
