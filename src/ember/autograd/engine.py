"""The one backward loop behind ``Tensor.backward`` and ``autograd.grad``.

Iterative, never recursive (a chain of 100,000 ops is fine):

1. walk the graph from the roots and count, for every node and leaf, how many edges lead into it;
2. when ``inputs`` are given, prune to the nodes that can reach one of them;
3. run nodes from a max-heap on creation order (a node always runs after every node created later that feeds it
   a gradient, which is PyTorch's order), summing incoming gradients per output slot, running tensor hooks,
   calling ``backward`` and passing its results along the edges;
4. free each node's saved values as it runs, unless ``retain_graph``.
"""
import heapq
import warnings

from .. import _config
from .function import Node
from ..backend import array_module

_grad_enabled = _config.grad_enabled


def _check_finite(node, grads):
    from .._tensor import Tensor
    for i, g in enumerate(grads):
        if isinstance(g, Tensor) and g._data.dtype.kind == "f" and bool(array_module(g._data).isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _collect(roots):
    """Dependency counts (edges into each node or leaf) of the graph reachable from ``roots``."""
    deps = {}
    seen = set()
    stack = list({id(r): r for r in roots}.values())   # several roots may share one node (split outputs)
    for r in roots:
        seen.add(id(r))
    while stack:
        node = stack.pop()
        if not isinstance(node, Node):
            continue
        for e in node.edges:
            if e is None:
                continue
            tgt = e[0]
            k = id(tgt)
            deps[k] = deps.get(k, 0) + 1
            if k not in seen:
                seen.add(k)
                stack.append(tgt)
    return deps


def _reachable_to(roots, targets):
    """ids of the nodes from which one of ``targets`` (ids) can be reached."""
    # post-order over an explicit stack, then propagate "needed" from children to parents
    order = []
    seen = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node, Node):
            for e in node.edges:
                if e is not None and id(e[0]) not in seen:
                    stack.append((e[0], False))
    needed = set(targets)
    for node in order:  # children come before parents in post-order
        if id(node) in needed:
            continue
        if isinstance(node, Node):
            for e in node.edges:
                if e is not None and id(e[0]) in needed:
                    needed.add(id(node))
                    break
    return needed


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, accumulate=True,
                 allow_unused=False):
    """Backpropagate ``grad_tensors`` from ``tensors``.

    With ``accumulate`` (``Tensor.backward``) gradients are added to the leaves' ``.grad`` (only those in
    ``inputs`` when it is given). Without it (``autograd.grad``) the gradients of ``inputs`` are returned.
    """
    # the gradient flowing into a root tensor
    root_items = []
    for t, g in zip(tensors, grad_tensors):
        if t.grad_fn is None:
            if not t._requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
            root_items.append((t, 0, g))
        else:
            root_items.append((t.grad_fn, t._output_nr, g))

    # what to capture (autograd.grad or backward(inputs=...)): keyed by (id(node or leaf), output_nr)
    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            if t.grad_fn is not None:
                capture[(id(t.grad_fn), t._output_nr)] = i
            else:
                if not t._requires_grad:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                capture[(id(t), 0)] = i
        results = [None] * len(inputs)

    roots = [r[0] for r in root_items]
    deps = _collect(roots)
    needed = None
    if capture is not None:
        needed = _reachable_to(roots, {k[0] for k in capture})

    buffers = {}    # id(node or leaf) -> [incoming gradient per output slot], summed as they arrive
    heap = []       # (-creation order, id, node) of nodes whose consumers have all run
    res = results if capture is not None else None
    heappush, heappop = heapq.heappush, heapq.heappop

    prev = _grad_enabled[0]
    _grad_enabled[0] = bool(create_graph)
    anomaly = _config.anomaly_enabled[0]
    # in anomaly mode the node's gradients are checked below (naming the node); the ops a backward runs are not
    # checked one by one, else a nan made inside SqrtBackward would be blamed on the div it uses
    _config.anomaly_enabled[0] = False
    try:
        for tgt, nr, g in root_items:
            buf = buffers.get(id(tgt))
            if buf is None:
                buf = buffers[id(tgt)] = [None] * (tgt.n_outputs if isinstance(tgt, Node) else 1)
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        for tgt in {id(r): r for r in roots}.values():
            if deps.get(id(tgt), 0) == 0:
                if isinstance(tgt, Node):
                    heappush(heap, (-tgt._seq, id(tgt), tgt))
                else:
                    _finish_leaf(tgt, buffers.pop(id(tgt))[0], capture, res, accumulate)
        while heap:
            _, k, node = heappop(heap)
            grads = buffers.pop(k)
            if needed is not None and k not in needed:
                continue
            if node._pre_hooks:
                for nr, hooks in node._pre_hooks.items():
                    for h in hooks:
                        if grads[nr] is not None:
                            r = h(grads[nr])
                            if r is not None:
                                grads[nr] = r
            if node._retained:
                for nr, ref in node._retained.items():
                    t = ref()
                    if t is not None and grads[nr] is not None:
                        g = grads[nr] if create_graph else grads[nr].detach()
                        t._grad = g if t._grad is None else t._grad + g
            if capture is not None:
                for nr in range(len(grads)):
                    slot = capture.get((k, nr))
                    if slot is not None:
                        results[slot] = grads[nr]
                if not accumulate and not _feeds_needed(node, needed):
                    if not retain_graph:
                        node._release()
                    continue
            edges = node.edges
            for g in grads:
                if g is not None:
                    in_grads = node._run_backward(grads)
                    break
            else:
                in_grads = (None,) * len(edges)
            if anomaly:
                _check_finite(node, in_grads)
            if not retain_graph:
                node._release()
            if len(in_grads) != len(edges):
                raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                   f"(expected {len(edges)}, got {len(in_grads)})")
            for e, g in zip(edges, in_grads):
                if e is None:
                    continue
                tgt, nr = e
                tk = id(tgt)
                buf = buffers.get(tk)
                is_node = isinstance(tgt, Node)
                if buf is None:
                    buf = buffers[tk] = [None] * (tgt.n_outputs if is_node else 1)
                if g is not None:
                    cur = buf[nr]
                    buf[nr] = g if cur is None else cur + g
                d = deps[tk] - 1
                deps[tk] = d
                if d == 0:
                    if is_node:
                        heappush(heap, (-tgt._seq, tk, tgt))
                    else:
                        _finish_leaf(tgt, buffers.pop(tk)[0], capture, res, accumulate)
    finally:
        _grad_enabled[0] = prev
        _config.anomaly_enabled[0] = anomaly

    if capture is not None and not accumulate:
        for i, (r, t) in enumerate(zip(results, inputs)):
            if r is None and not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(results)
    return None


def _feeds_needed(node, needed):
    for e in node.edges:
        if e is not None and id(e[0]) in needed:
            return True
    return False


def _finish_leaf(leaf, g, capture, results, accumulate):
    if g is None:
        return
    if leaf._hooks:
        for h in leaf._hooks:
            r = h(g)
            if r is not None:
                g = r
    if capture is not None:
        slot = capture.get((id(leaf), 0))
        if slot is not None:
            results[slot] = g
            if accumulate:
                _add_to_grad(leaf, g)
        return
    if accumulate:
        _add_to_grad(leaf, g)


def _add_to_grad(leaf, g):
    if not _grad_enabled[0]:
        g = g.detach()
    if leaf._grad is None:
        # a fresh tensor, never an alias of the incoming gradient (which the caller may still hold)
        leaf._grad = g.clone() if not _grad_enabled[0] else g + 0
        if leaf._grad.dtype is not leaf.dtype:
            leaf._grad = leaf._grad.to(leaf.dtype)
    elif _grad_enabled[0]:
        leaf._grad = leaf._grad + g
    else:
        leaf._grad._data += g._data
        leaf._grad._version[0] += 1
    for h in leaf._post_acc_hooks or ():
        h(leaf)


def warn_non_leaf_grad():
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
        "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
        "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
        "mistake, make sure you access the leaf Tensor instead.", UserWarning, stacklevel=3)
