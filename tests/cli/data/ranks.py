"""Kernels whose derivative depends on an array argument's rank: `x = X[t - 1, 0]`
is a copy of one element when X is 2-D and a view when it has more dimensions.
Without --shape, `adcompiler emit` must ask for the shape instead of guessing."""


def square_chain(X):
    for t in range(1, X.shape[0]):
        x = X[t - 1, 0]
        X[t, 0] = x * x


def row_chain(X):
    for t in range(1, X.shape[0]):
        r = X[t - 1]
        X[t] = r * r + 0.5


def read_only(y, X):
    """X is never written: the element-or-view question does not change the derivative."""
    for t in range(1, X.shape[0]):
        x = X[t - 1, 0]
        y[t] = x * x


def _bump(P):
    v = P[0]
    P[1] = v * v + P[1]


def calls_helper(X, a):
    X[0] = X[0] * a[0]
    _bump(X)


def product_added(x):
    r = 0.0
    r += (x * 0.5) @ x
    return float(r + x[0])


def scaled_then_added(z, x):
    """``s`` is a number where ``z`` is 0-d (numpy's arithmetic of 0-d operands gives one)."""
    s = 0.5 * abs(x[0] * z[...])
    s += float(z)
    return float(s + x[0] * x[0] + x[1] * x[1])
