"""The helpers generated code calls, by the names it calls them (``_ad_<name>``).

``core`` holds the helpers of the reverse and forward sweeps, ``batch`` those
of vector mode, ``numpy`` and ``linalg`` the adjoints and tangents of the rule
tables. They import numpy and nothing of adcompiler above this package; the
stand-alone module writer copies their source into emitted modules.
"""
from __future__ import annotations

from . import (
    attempts,
    averages,
    batch,
    checkpoint,
    complexes,
    core,
    covariance,
    curves,
    einsums,
    fft,
    finite,
    histogram,
    linalg,
    lists,
    norms,
    numpy,
    orders,
    products,
    quantiles,
    ranges,
    running,
    scipy_linalg,
    segments,
    special,
    views,
    windows,
)

HELPERS = {
    "_ad_unbroadcast": core.unbroadcast,
    "_ad_shape": core.shape,
    "_ad_type_limit": ranges.type_limit,
    "_ad_attempt": attempts.attempt,
    "_ad_unreduce": core.unreduce,
    "_ad_reduce_count": core.reduce_count,
    "_ad_select_adjoint": core.select_adjoint,
    "_ad_add_at": core.add_at,
    "_ad_index_adjoint": core.index_adjoint,
    "_ad_store_adjoint": core.store_adjoint,
    "_ad_shadow_like": core.shadow_like,
    "_ad_roots": core.roots,
    "_ad_disjoint": core.disjoint,
    "_ad_stack_pop": core.stack_pop,
    "_ad_tget": core.tget,
    "_ad_seq_adjoint": lists.seq_adjoint,
    "_ad_tadd": core.tadd,
    "_ad_tplus": core.tplus,
    "_ad_shadow_ref": core.shadow_ref,
    "_ad_rebase": core.rebase,
    "_ad_alias_view": core.alias_view,
    "_ad_view_checked": views.view_checked,
    "_ad_rule_checked": views.rule_checked,
    "_ad_gather_last": core.gather_last,
    "_ad_copy": core.copy,
    "_ad_np_number": core.np_number,
    "_ad_tape": core.Tape,
    "_ad_as_list": core.as_list,
    "_ad_put_list": core.put_list,
    "_ad_blift": batch.blift,
    "_ad_bmap": batch.bmap,
    "_ad_bzeros": batch.bzeros,
    "_ad_bfresh": batch.bfresh,
    "_ad_bbroadcast": batch.bbroadcast,
    "_ad_bstore": batch.bstore,
    "_ad_bincrement": batch.bincrement,
    "_ad_bindex": batch.bindex,
    "_ad_bget": batch.bget,
    "_ad_inverse_axes": core.inverse_axes,
    "_ad_default": core.default,
    "_ad_einsum_maybe": core.einsum_maybe,
    "_ad_zero_tangent": core.zero_tangent,
    "_ad_per_element": core.per_element,
    "_ad_select_tangent": core.select_tangent,
    "_ad_fresh_like": core.fresh_like,
    "_ad_tuple_add": core.tuple_add,
    "_ad_broadcast_like": core.broadcast_like,
    "_ad_checkpoint_actions": checkpoint.checkpoint_actions,
    "_ad_checkpoint_online": checkpoint.checkpoint_online,
    "_ad_put_back": checkpoint.put_back,
    "_ad_disjoint_checked": views.disjoint_checked,
    "_ad_real_power_checked": views.real_power_checked,
    "_ad_no_tangent": views.no_tangent,
}

for _mod in (numpy, finite, norms, averages, linalg, einsums, complexes, fft, histogram, ranges, products, curves, covariance, lists,
             special, quantiles, scipy_linalg, running, orders, windows, segments):
    for _name, _obj in vars(_mod).items():
        if callable(_obj) and not _name.startswith("_") and getattr(_obj, "__module__", "") == _mod.__name__:
            HELPERS.setdefault("_ad_" + _name, _obj)
