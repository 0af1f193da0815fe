"""``autodiff`` and ``autodiff_thunk`` under the numba backend: an engine of
``check_grads`` (split mode then runs as the tapes drive it, fresh shadows for
each half, on the compiled halves)."""
from adcompiler import autodiff, autodiff_thunk


class Numba:
    @staticmethod
    def autodiff(*call):
        return autodiff(*call, backend="numba")

    @staticmethod
    def autodiff_thunk(*call):
        return autodiff_thunk(*call, backend="numba")
