"""The PyTorch adapter: torch.autograd.Function built on split mode."""
import numpy as np
import pytest

from adcompiler.errors import AdCompilerError
from adcompiler.tapes.differentiate import differentiate

from . import kernels as K
from .conftest import require

torch = require("torch")


def _t(x, dtype=torch.float64):
    return torch.tensor(x, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_seed_matches_direct_formula(thunk, dtype):
    f = differentiate(K.seed_, out="s", like="a")
    rng = np.random.default_rng(1)
    a, b = _t(rng.normal(size=6), dtype), _t(rng.normal(size=6), dtype)
    g1 = torch.autograd.grad(torch.sum((a + b) ** 2), (a, b))
    out = f(a, b)
    assert out.dtype == dtype
    g2 = torch.autograd.grad(torch.sum(out ** 2), (a, b))
    ref = 2 * (a + b).detach()
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    for x1, x2 in zip(g1, g2):
        assert x2.dtype == dtype
        torch.testing.assert_close(x2, ref, rtol=tol, atol=tol)
        torch.testing.assert_close(x1, x2, rtol=tol, atol=tol)


def test_gradcheck_several_outputs_and_scalar(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    rng = np.random.default_rng(2)
    a, x = _t(rng.normal(size=4)), _t(0.7)
    assert torch.autograd.gradcheck(f, (a, x))


def test_gradcheck_in_out_argument(thunk):
    f = differentiate(K.scale_inplace_, out="u")
    rng = np.random.default_rng(3)
    u, c = _t(rng.normal(size=5)), _t(rng.normal(size=5))
    u_ref = u.detach().clone()
    assert torch.autograd.gradcheck(f, (u, c))
    torch.testing.assert_close(u.detach(), u_ref, rtol=0, atol=0)


def test_float_return_and_inferred_const(thunk):
    f = differentiate(K.sum_sq_)
    a = _t(np.arange(4.0))
    (da,) = torch.autograd.grad(f(a, 3), (a,))
    torch.testing.assert_close(da, 6 * a.detach())


def test_one_primal_run_and_cotangent_unchanged(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _t(np.ones(3)), _t(np.arange(3.0))
    out = f(a, b)
    g = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    g_ref = g.clone()
    da, db = torch.autograd.grad(out, (a, b), g)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=0)
    torch.testing.assert_close(da, g_ref)
    torch.testing.assert_close(db, g_ref)
    assert (thunk.primal_runs, thunk.rev_calls) == (1, 1)


def test_no_grad_inputs_give_plain_value(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    out = f(torch.ones(3), torch.ones(3))
    assert not out.requires_grad
    torch.testing.assert_close(out, torch.full((3,), 2.0))
    assert thunk.rev_calls == 0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])  # complex: tests/tapes/test_complex_tapes.py
def test_unsupported_tensor_requiring_grad_is_refused(thunk, dtype):
    # torch itself forbids requires_grad on integer tensors
    f = differentiate(K.seed_, out="s", like="a")
    a = torch.ones(3, dtype=dtype, requires_grad=True)
    with pytest.raises(AdCompilerError, match=str(dtype).split(".")[1]):
        f(a, torch.ones(3))


def test_in_place_change_of_an_input_after_forward_is_reported(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _t(np.ones(3)), _t(np.ones(3))
    out = f(a, b)
    with torch.no_grad():
        a.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def _recurrence_torch(x):
    ys = [x[0]]
    for i in range(1, x.shape[0]):
        ys.append(torch.sin(ys[-1]) * x[i] + x[i])
    return torch.stack(ys)


@pytest.mark.parametrize("how", ["numpy view", "no_grad", "recorded"])
def test_output_changed_in_place_after_forward(thunk, how):
    """The output is the caller's to change (a residual ``y -= data``): the
    backward pass reads the record's own copy. The output was the record's
    memory: a write through ``y.detach().numpy()`` changed the gradient."""
    f = differentiate(K.recurrence_, out="y")
    x0 = np.array([0.9, 1.1, 0.8, 1.2, 0.7])
    grads = []
    for model in (lambda x: f(torch.zeros(5, dtype=torch.float64), x), _recurrence_torch):
        x = _t(x0)
        y = model(x)
        if how == "numpy view":
            r = y.detach().numpy()
            r -= 1.0
            seed = torch.from_numpy(r.copy())
            y.backward(seed)
        elif how == "no_grad":
            with torch.no_grad():
                y.mul_(3.0)
            (y * y.detach()).sum().backward()
        else:
            y -= 1.0
            (y ** 2).sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_tensor_without_grad_is_const(thunk):
    from adcompiler.activity import Const, Duplicated
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _t(np.ones(3)), torch.arange(3.0, dtype=torch.float64)
    (da,) = torch.autograd.grad(torch.sum(f(a, b) ** 2), (a,))
    torch.testing.assert_close(da, 2 * (a.detach() + b))
    assert f.last_activities == (Duplicated, Duplicated, Const)


def test_retained_graph_runs_backward_twice(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    a, x = _t(np.linspace(0, 1, 4)), _t(0.5)
    s, t = f(a, x)
    loss = torch.sum(s * t)
    g1 = torch.autograd.grad(loss, (a, x), retain_graph=True)
    g2 = torch.autograd.grad(loss, (a, x))
    for u, v in zip(g1, g2):
        torch.testing.assert_close(u, v, rtol=0, atol=0)
    assert thunk.primal_runs == 1 and thunk.rev_calls == 2


def test_second_derivative_through_the_kernel_raises(thunk):
    """The kernel's gradient is computed outside PyTorch: differentiating it again
    (a Hessian of the kernel plus ordinary torch terms) raises, where it was once
    silently constant (the Hessian's kernel part zero)."""
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _t(np.array([0.5, 1.5, -0.7])), _t(np.array([0.1, 0.2, 0.3]))
    with pytest.raises(RuntimeError, match="seed_: the gradient of a differentiated kernel .* cannot be differentiated again"):
        torch.autograd.functional.hessian(lambda a: (f(a, b) ** 2).sum() + (a ** 2).sum(), a)
    # first derivatives under create_graph=True still come out (the kernel's part a constant leaf)
    g, = torch.autograd.grad((f(a, b) ** 2).sum(), a, create_graph=True)
    torch.testing.assert_close(g.detach(), 2 * (a + b).detach())


def test_forward_mode_through_the_kernel_is_refused_naming_it(thunk):
    """PyTorch's forward mode (a dual tensor through the kernel) raised torch's own
    NotImplementedError, naming no kernel: refused, naming it, with what to use."""
    import torch.autograd.forward_ad as fwAD
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _t(np.array([0.5, 1.5, -0.7])), _t(np.array([0.1, 0.2, 0.3]))
    with fwAD.dual_level(), pytest.raises(AdCompilerError, match="seed_: PyTorch's forward mode"):
        f(fwAD.make_dual(a.detach(), torch.ones(3, dtype=torch.float64)), b)


def test_like_a_tensor(thunk):
    """``like=`` an array may be a tensor (numpy could not read torch's dtype)."""
    f = differentiate(K.seed_, out="s", like=torch.zeros(3, dtype=torch.float32))
    a, b = _t(np.array([0.9, 1.1, 0.8])), torch.ones(3, dtype=torch.float64)
    s = f(a, b)
    assert s.dtype == torch.float32
    s.sum().backward()
    torch.testing.assert_close(a.grad, torch.ones(3, dtype=torch.float64))


def _sines_(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[i]


def test_torch_compile_runs_the_kernel_as_it_is():
    import warnings
    step = differentiate(_sines_, out="y", like="x")
    x = _t([0.1, 0.2, 0.3])
    fn = torch.compile(lambda x: (step(x) ** 2).sum(), backend="eager")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (Dynamo says it breaks the graph at the kernel)
        fn(x).backward()
    xd = x.detach()
    want = 2 * torch.sin(xd) * xd * (torch.cos(xd) * xd + torch.sin(xd))
    torch.testing.assert_close(x.grad, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("transform", ["grad", "vmap", "jacrev"])
def test_torch_func_transforms_refused(transform):
    step = differentiate(_sines_, out="y", like="x")
    x = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    fn = {"grad": lambda: torch.func.grad(lambda x: step(x).sum())(x),
          "vmap": lambda: torch.func.vmap(step)(x.reshape(3, 1)),
          "jacrev": lambda: torch.func.jacrev(step)(x)}[transform]
    with pytest.raises(AdCompilerError, match="torch.func transforms"):
        fn()


def test_batched_backward_refused():
    """jacobian(vectorize=True) runs the backward pass under a vmap: refused by name (it raised torch's
    own batching error); row by row, the Jacobian is right."""
    step = differentiate(_sines_, out="y", like="x")
    x = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    with pytest.raises(AdCompilerError, match="batched backward pass"):
        torch.autograd.functional.jacobian(step, x, vectorize=True)
    xd = x.detach()
    want = torch.diag(torch.cos(xd) * xd + torch.sin(xd))
    torch.testing.assert_close(torch.autograd.functional.jacobian(step, x), want, rtol=1e-12, atol=1e-14)


def _acc_(s, x):
    for i in range(x.shape[0]):
        s += x[i] * x[i]


def test_a_0d_float32_tensor_keeps_its_dtype():
    f = differentiate(_acc_, out="s")
    s0 = torch.tensor(0.7, dtype=torch.float32, requires_grad=True)
    x = torch.tensor([0.3, -0.2, 0.5], dtype=torch.float32, requires_grad=True)
    out = f(s0, x)
    assert out.dtype == torch.float32 and out.dim() == 0
    out.backward()
    torch.testing.assert_close(x.grad, 2 * x.detach())
    torch.testing.assert_close(s0.grad, torch.tensor(1.0))
    torch.testing.assert_close(out.detach(), 0.7 + (x.detach() ** 2).sum())


@differentiate(out="y", like="x", const=("c",))
def _scaled_squares(y, x, c):
    y[:] = c * x ** 2


def test_a_const_argument_torch_tracks_gets_a_zero_gradient():
    """docs/tapes.md: a tape that tracks a const= argument anyway gets a zero
    gradient (torch got None: torch.autograd.grad raised 'not used in the graph')."""
    x = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
    c = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    gx, gc = torch.autograd.grad(_scaled_squares(x, c).sum(), (x, c))
    np.testing.assert_allclose(gx.numpy(), [0.5, 1.0])
    assert gc.shape == () and float(gc) == 0.0
