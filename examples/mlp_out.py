"""A small MLP written with ``out=`` buffers, trained with its gradients.

The forward pass never allocates its activations: ``np.matmul(X, W1,
out=H)``, ``np.tanh(H, out=H)`` and ``H += b1`` fill a hidden buffer ``H``
and a prediction buffer ``P`` that the caller passes in, the way code that
reuses memory is written. ``adcompiler.value_and_grad(loss, argnums=(0, 1,
2, 3))`` differentiates it as written (the buffers are scratch arrays it
handles) and returns the gradients of the four weights; plain gradient
descent with momentum fits ``y = sin(3x)``.

Run: ``python examples/mlp_out.py`` (``--small`` for the CI size).
Figure: ``mlp_out.png``: the training loss per step, and the data with the
network's prediction before and after training.
"""
from __future__ import annotations

import numpy as np
from _gallery import pyplot, save, small

import adcompiler


def loss(W1, b1, W2, b2, X, Y, H, P):
    """Mean squared error of a one-hidden-layer tanh network; H and P are work buffers."""
    np.matmul(X, W1, out=H)
    H += b1
    np.tanh(H, out=H)
    np.matmul(H, W2, out=P)
    P += b2
    r = P - Y
    return np.mean(r * r)


def predict(W1, b1, W2, b2, X):
    return np.tanh(X @ W1 + b1) @ W2 + b2


def main() -> None:
    hidden, samples, steps = (8, 32, 150) if small() else (32, 128, 3000)
    rng = np.random.default_rng(0)
    X = np.linspace(-1.0, 1.0, samples)[:, None]
    Y = np.sin(3.0 * X) + 0.05 * rng.standard_normal(X.shape)
    params = [rng.standard_normal((1, hidden)), np.zeros(hidden),
              rng.standard_normal((hidden, 1)) / np.sqrt(hidden), np.zeros(1)]
    H, P = np.empty((samples, hidden)), np.empty((samples, 1))
    start = predict(*params, X)

    value_and_grad = adcompiler.value_and_grad(loss, argnums=(0, 1, 2, 3))
    # the gradient along a random direction of W1 against a central difference
    direction, h = rng.standard_normal(params[0].shape), 1e-6
    _, grads = value_and_grad(*params, X, Y, H, P)
    plus = loss(params[0] + h * direction, *params[1:], X, Y, H, P)
    minus = loss(params[0] - h * direction, *params[1:], X, Y, H, P)
    assert abs(np.sum(grads[0] * direction) - (plus - minus) / (2 * h)) < 1e-7 * (1 + abs(plus))
    lr, momentum = 0.05, 0.9
    velocity = [np.zeros_like(w) for w in params]
    history = []
    for _ in range(steps):
        value, grads = value_and_grad(*params, X, Y, H, P)
        history.append(value)
        for w, v, g in zip(params, velocity, grads):
            v *= momentum
            v -= lr * g
            w += v
    print(f"loss {history[0]:.3f} -> {history[-1]:.4f} after {steps} steps")
    assert history[-1] < 0.5 * history[0]

    plt = pyplot()
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    ax[0].semilogy(history)
    ax[0].set(xlabel="step", ylabel="mean squared error", title="training loss")
    ax[1].plot(X[:, 0], Y[:, 0], "k.", ms=4, label="data")
    ax[1].plot(X[:, 0], start[:, 0], "C0:", label="before training")
    ax[1].plot(X[:, 0], predict(*params, X)[:, 0], "C1-", label="after training")
    ax[1].set(xlabel="x", title=f"MLP, {hidden} tanh units")
    ax[1].legend()
    save(fig, "mlp_out.png")


if __name__ == "__main__":
    main()
