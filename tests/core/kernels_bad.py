"""Functions outside the supported subset (each is refused)."""
import numpy as np

G = np.zeros(3)


def uses_try(s, a):
    try:
        s[:] = a
    except ValueError:
        pass


def uses_with(s, a):
    with open("x"):
        s[:] = a


def uses_yield(s, a):
    yield a


def uses_lambda(s, a):
    fs = [lambda v: v * 2]
    s[:] = fs[0](a)


def uses_comprehension(s, a):
    s[:] = np.dot([v * 2 for v in a], a)


def writes_global(s, a):
    global G
    G = a


def writes_global_array(s, a):
    G[:] = a


def nested_def(s, a):
    for _ in range(1):
        def inner(v): return v  # noqa: E704
    s[:] = inner(a)


def class_body(s, a):
    class K:
        pass
    s[:] = a


def no_rule(s, a):
    t = np.fft.hfft(a)  # noqa: F841  (no rule)
    s[:] = a


def seed(s, a, b):
    s[:] = a + b


def shape_error(s, a):
    s[:] = a * 2.0


def recurrence(s, a, b):
    for i in range(1, len(s)):
        s[i] = s[i - 1] * a[i] + b[i]


def product(s, a):
    t = 1.0
    for i in range(len(a)):
        t = t * a[i]
    s[0] = t


def backward_read(s, a):
    for i in range(len(s) - 1):
        s[i] = s[i + 1] * a[i]
