"""Neural-network layers as course assignments write them: naive loops for
convolution and pooling, vectorised numpy for normalisation, softmax,
recurrent cells and attention; outputs written into ``out`` buffers."""
import numpy as np


def conv2d_naive(x, w, b, out, stride, pad):
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs = i * stride
                    ws = j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]


def conv2d_loops(img, kernel, out):
    """Single channel, valid padding, six nested loops."""
    H, W = img.shape
    kh, kw = kernel.shape
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            acc = 0.0
            for p in range(kh):
                for q in range(kw):
                    acc += img[i + p, j + q] * kernel[p, q]
            out[i, j] = acc


def max_pool(x, out, pool, stride):
    N, C, H, W = x.shape
    H_out = 1 + (H - pool) // stride
    W_out = 1 + (W - pool) // stride
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + pool, j * stride:j * stride + pool])


def avg_pool(x, out, pool):
    C, H, W = x.shape
    for c in range(C):
        for i in range(H // pool):
            for j in range(W // pool):
                out[c, i, j] = x[c, i * pool:(i + 1) * pool, j * pool:(j + 1) * pool].mean()


def batchnorm_forward(x, gamma, beta, out, running_mean, running_var, momentum, eps):
    sample_mean = x.mean(axis=0)
    sample_var = x.var(axis=0)
    x_hat = (x - sample_mean) / np.sqrt(sample_var + eps)
    out[:] = gamma * x_hat + beta
    running_mean[:] = momentum * running_mean + (1 - momentum) * sample_mean
    running_var[:] = momentum * running_var + (1 - momentum) * sample_var


def layernorm_forward(x, gamma, beta, out, eps):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=1, keepdims=True)
    out[:] = gamma * (x - mu) / np.sqrt(var + eps) + beta


def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    return loss


def softmax_cross_entropy_onehot(logits, onehot):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    return -np.sum(onehot * np.log(probs)) / logits.shape[0]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step; the hidden and cell state are updated in place."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    prev_c[:] = next_c
    prev_h[:] = next_h


def gru_step(x, h, Wz, Uz, Wr, Ur, Wh, Uh):
    z = sigmoid(x @ Wz + h @ Uz)
    r = sigmoid(x @ Wr + h @ Ur)
    h_tilde = np.tanh(x @ Wh + (r * h) @ Uh)
    h[:] = (1 - z) * h + z * h_tilde


def attention(Q, K, V, out):
    d_k = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d_k)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out[...] = weights @ V


def logistic_regression_loss(w, b, X, y, lam):
    z = X @ w + b
    loss = np.mean(np.log(1.0 + np.exp(-y * z)))
    return loss + 0.5 * lam * np.sum(w * w)


def mlp_forward(X, W1, b1, W2, b2, out):
    h = np.maximum(0, X @ W1 + b1)
    out[:] = np.tanh(h @ W2 + b2)


def sgd_step(w, X, y, lr, epochs):
    """Least-squares regression trained in place by gradient descent."""
    n = X.shape[0]
    for e in range(epochs):
        err = X @ w - y
        grad = X.T @ err / n
        w -= lr * grad
    return float(np.mean((X @ w - y) ** 2))
