"""Flatten parameters into one vector and back (``parameters_to_vector`` / ``vector_to_parameters``)."""
from ..._tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened in order (differentiable)."""
    import ember
    return ember.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' storage (their ``.data``)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
