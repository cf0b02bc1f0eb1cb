"""Walking a recorded graph: the nodes in topological order, with their op names (for dumps and export)."""
from .function import Node


def topological_nodes(tensor):
    """The nodes that produced ``tensor``, inputs before consumers, found without recursion."""
    order, seen = [], set()
    root = tensor.grad_fn
    if root is None:
        return []
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for e in node.edges:
            if e is not None and isinstance(e[0], Node) and id(e[0]) not in seen:
                stack.append((e[0], False))
    return order


def dump(tensor):
    """A readable listing of the graph behind ``tensor``: one line per node, inputs first."""
    lines = []
    for n in topological_nodes(tensor):
        ins = ", ".join("leaf" if e is not None and not isinstance(e[0], Node) else
                        ("-" if e is None else e[0].name()) for e in n.edges)
        lines.append(f"{n.name():28s} op={n.op_name:16s} inputs=({ins})")
    return "\n".join(lines)
