"""A GRU whose CPU training step is ~1.6x faster than ``nn.GRU``'s, with the same weights.

Why: on CPU, PyTorch runs LSTM through oneDNN's fused RNN primitive (``mkldnn_rnn_layer``
forward and backward, one call per layer), but it has no fused GRU kernel: ``aten::gru``
unrolls into ~12 small ops per time step (``addmm`` for the input *and* the hidden
projection, ``cat``, ``unsafe_split``, ``sigmoid``, ``tanh``, ``mul``, ``add``), and autograd
replays each of them backwards, one weight-gradient ``mm`` per step and gate. At batch 32 x
hidden 64 every op costs a few microseconds of dispatch for a few microseconds of arithmetic,
so the GRU step is dominated by overhead (see ``bench/train_speed.py``).

How: :class:`FastGRU` is an ``nn.GRU`` (same parameters, same ``state_dict`` keys) whose
``forward`` takes a hand-written path when it trains on a CPU:

* the input projection ``x @ W_ih^T + b_ih`` of every time step is one matrix product;
* the recurrence is 5 in-place ops per step (one ``addmm`` for all three gates, then
  ``sigmoid_``, ``addcmul``, ``tanh_``, ``lerp``), with nothing recorded for autograd;
* the backward pass (:class:`_GRULayer`) walks time in reverse with 3 ops per step; every
  per-step coefficient that does not depend on the incoming gradient is computed for all
  steps at once before the loop, and the weight and bias gradients are one matrix product
  (or sum) over all steps after it, instead of one per step.

Everything else — evaluation, ``torch.no_grad()``, tracing, ``torch.export`` / ONNX export,
other devices and dtypes — runs ``nn.GRU.forward`` itself, so exported graphs still hold a
standard GRU and inference is bit-for-bit that of ``nn.GRU``. ``tests/test_fastgru.py``
checks outputs, final states and every parameter gradient against ``nn.GRU``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable
from torch.nn import functional as F


class _GRULayer(torch.autograd.Function):
    """One direction of one GRU layer over a time-major sequence.

    ``forward(x (T, B, I), h0 (B, D), w_ih (3D, I), w_hh (3D, D), b_ih (3D,), b_hh (3D,))``
    returns every hidden state ``(T, B, D)`` and the last one ``(B, D)``. Gate order and
    equations are PyTorch's: r, z, n with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``
    and ``h' = (1 - z) * n + z * h``.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        steps, batch, _ = x.shape
        d = w_hh.shape[1]
        gi = torch.addmm(b_ih, x.reshape(steps * batch, -1), w_ih.t()).view(steps, batch, 3 * d)
        # s[t] starts as what the hidden projection is added to: [gi_r + b_hr, gi_z + b_hz, b_hn],
        # so one addmm gives the r and z pre-activations and W_hn h + b_hn together; the
        # sigmoid then turns the first two thirds into r and z in place.
        s = torch.empty_like(gi)  # (T, B, 3D)
        torch.add(gi[..., : 2 * d], b_hh[: 2 * d], out=s[..., : 2 * d])
        s[..., 2 * d :] = b_hh[2 * d :]
        n_all = torch.empty(steps, batch, d, dtype=x.dtype)
        h_all = torch.empty(steps, batch, d, dtype=x.dtype)
        # Per-step views made once (unbind is one call), not sliced inside the loop.
        s_t, rz_t = s.unbind(0), s[..., : 2 * d].unbind(0)
        r_t, z_t, ghn_t = (
            s[..., :d].unbind(0),
            s[..., d : 2 * d].unbind(0),
            s[..., 2 * d :].unbind(0),
        )
        gin_t, n_t, h_t = gi[..., 2 * d :].unbind(0), n_all.unbind(0), h_all.unbind(0)
        w_hh_t = w_hh.t()
        h = h0
        for t in range(steps):
            s_t[t].addmm_(h, w_hh_t)  # (B, 3D) += h @ W_hh^T
            rz_t[t].sigmoid_()
            torch.addcmul(gin_t[t], r_t[t], ghn_t[t], out=n_t[t])
            n_t[t].tanh_()
            torch.lerp(n_t[t], h, z_t[t], out=h_t[t])  # n + z * (h - n)
            h = h_t[t]
        ctx.save_for_backward(x, h0, w_ih, w_hh, s, n_all, h_all)
        return h_all, h_all[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h_all, grad_h_last):
        x, h0, w_ih, w_hh, s, n, h_all = ctx.saved_tensors
        steps, batch, d = h_all.shape
        r, z, ghn = s[..., :d], s[..., d : 2 * d], s[..., 2 * d :]
        h_prev = torch.cat([h0.unsqueeze(0), h_all[:-1]], dim=0)  # (T, B, D)
        # dL/d(gate pre-activation) = dL/dh_t * coef, for all steps at once:
        #   n: a = (1 - z)(1 - n^2)   r: a * ghn * r(1 - r)   z: (h_prev - n) * z(1 - z)
        # and dL/d(W_hn h + b_hn) = a * r. (ghn = W_hn h + b_hn.)
        coef = torch.empty(steps, batch, 3, d, dtype=x.dtype)  # per gate r, z, hidden-n
        c_r, c_z, c_n = coef.unbind(2)
        one_minus_z = torch.rsub(z, 1)
        a = torch.addcmul(torch.ones((), dtype=x.dtype), n, n, value=-1).mul_(one_minus_z)
        torch.mul(a, r, out=c_n)
        torch.mul(torch.rsub(r, 1).mul_(ghn), c_n, out=c_r)
        torch.mul(torch.sub(h_prev, n).mul_(z), one_minus_z, out=c_z)

        grad_out = grad_h_all.contiguous()
        dh = torch.empty_like(h_all)  # (T, B, D): total dL/dh_t
        torch.add(grad_out[-1], grad_h_last, out=dh[-1])
        dgh = torch.empty(steps, batch, 3, d, dtype=x.dtype)  # dL/d(W_hh h + b_hh), per gate
        coef_t, dgh_t = coef.unbind(0), dgh.unbind(0)
        dgh_flat_t = dgh.view(steps, batch, 3 * d).unbind(0)
        dh_t, dh_row_t = dh.unbind(0), dh.unsqueeze(2).unbind(0)
        go_t, z_t = grad_out.unbind(0), z.unbind(0)
        for t in range(steps - 1, 0, -1):
            torch.mul(coef_t[t], dh_row_t[t], out=dgh_t[t])
            torch.addcmul(go_t[t - 1], dh_t[t], z_t[t], out=dh_t[t - 1])  # via h' = ... + z h
            dh_t[t - 1].addmm_(dgh_flat_t[t], w_hh)  # via the hidden projection
        torch.mul(coef_t[0], dh_row_t[0], out=dgh_t[0])
        grad_h0 = torch.addmm(dh[0] * z[0], dgh_flat_t[0], w_hh)

        # Weight and bias gradients: one product (or sum) over all steps.
        dgh2 = dgh.view(steps * batch, 3 * d)
        grad_w_hh = dgh2.t() @ h_prev.view(steps * batch, d)
        grad_b_hh = dgh2.sum(0)
        dgi = dgh  # the r and z pre-activations get the same gradient from both sides
        torch.mul(dh, a, out=dgi[:, :, 2])  # dL/d(W_in x + b_in) = dL/dh_t * a
        dgi2 = dgi.view(steps * batch, 3 * d)
        grad_w_ih = dgi2.t() @ x.reshape(steps * batch, -1)
        grad_b_ih = dgi2.sum(0)
        grad_x = (dgi2 @ w_ih).view_as(x) if ctx.needs_input_grad[0] else None
        return grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh


class FastGRU(nn.GRU):
    """``nn.GRU`` with a faster CPU training path; see the module docstring.

    The fast path runs when the module is training, gradients are enabled, the input is a
    batched float32 CPU tensor (not a ``PackedSequence``), biases are on, and nothing is
    tracing, scripting, compiling or exporting. Otherwise ``nn.GRU.forward`` runs.
    Dropout between layers is applied as ``nn.GRU`` does, from the same RNG, though not in
    the same order of draws, so training with dropout > 0 is equivalent, not identical.
    """

    def _fast_path_ok(self, input, hx) -> bool:
        if not (self.training and torch.is_grad_enabled() and self.bias):
            return False
        if not isinstance(input, Tensor) or input.dim() != 3:
            return False
        if input.device.type != "cpu" or input.dtype != torch.float32:
            return False
        if hx is not None and (hx.dim() != 3 or hx.dtype != torch.float32):
            return False
        if torch.jit.is_scripting() or torch.jit.is_tracing():
            return False
        if torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling():
            return False
        return all(p.device.type == "cpu" and p.dtype == torch.float32 for p in self.parameters())

    def forward(self, input, hx=None):  # type: ignore[override]
        if not self._fast_path_ok(input, hx):
            return super().forward(input, hx)
        x = input.transpose(0, 1) if self.batch_first else input  # (T, B, I)
        x = x.contiguous()
        dirs = 2 if self.bidirectional else 1
        d = self.hidden_size
        if hx is None:
            hx = x.new_zeros(self.num_layers * dirs, x.shape[1], d)
        finals: list[Tensor] = []
        for layer in range(self.num_layers):
            outs: list[Tensor] = []
            for direction in range(dirs):
                sfx = "_reverse" if direction else ""
                weights = [
                    getattr(self, f"{name}_l{layer}{sfx}")
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                ]
                seq = x.flip(0) if direction else x
                h_all, h_last = _GRULayer.apply(seq, hx[layer * dirs + direction], *weights)
                outs.append(h_all.flip(0) if direction else h_all)
                finals.append(h_last)
            x = outs[0] if dirs == 1 else torch.cat(outs, dim=2)  # (T, B, D * dirs)
            if self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        out = x.transpose(0, 1) if self.batch_first else x
        return out, torch.stack(finals, dim=0)  # (B, T, D * dirs), (layers * dirs, B, D)
