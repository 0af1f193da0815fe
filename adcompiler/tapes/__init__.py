"""Tape adapters: the gradient of a ``differentiate`` function on each tape.

- :mod:`.split`: the numpy side shared by every adapter (primal; forward
  pass keeping the split-mode tape; backward pass running only the reverse
  sweep);
- :mod:`.dispatch`: picks the adapter from the argument types;
- :mod:`.autograd`, :mod:`.torch`, :mod:`.jax`: one adapter per tape,
  imported only when arguments of that framework arrive;
- :mod:`.effects`: which arguments a kernel may write (they are copied).
"""
