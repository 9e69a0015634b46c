"""A reference point for the chain benchmark: the least work an engine does per node when each
node is one Python object holding its data, gradient, inputs and local derivatives (as this
project's nodes and micrograd's are) and backward handles any graph.

``FloorValue`` is not an engine anyone should use. Each operator is written out by hand for the
benchmark's ten operations, with no table of rules, no modes, no checks of argument types and
five slots per node. ``backward`` is Kahn's algorithm, as ours is, but adds straight into
``.grad``: right for one backward on a fresh graph, which is all the benchmark asks of it.

What a real engine adds (the rules in one table, no_grad and anomaly modes, graph access for
drawings and ``create_graph``, exact gradients over repeated backward calls) costs time on top
of this; the measurement shows how much of a real engine's time the floor itself takes,
Python's cyclic garbage collector included.
"""

from __future__ import annotations

import math

_new = object.__new__


class FloorValue:
    """One node: data, gradient, the input (a FloorValue, or a pair for two-Value operations),
    the local derivative (a float, or a pair) and the use count of the backward sweep.

    >>> x, w = FloorValue(3.0), FloorValue(2.0)
    >>> y = (x * w + 1.0) ** 2 + x * x
    >>> y.backward()
    >>> y.data, x.grad, w.grad
    (58.0, 34.0, 42.0)
    """

    __slots__ = ("data", "grad", "input", "local", "uses")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self.input, self.local, self.uses = data, 0.0, None, None, 0

    # Each operator makes its node inline, one store per line: a helper function would cost a
    # call per node, and a tuple assignment builds and unpacks a tuple.

    def __mul__(self, other: FloorValue | float) -> FloorValue:
        node = _new(FloorValue)
        if type(other) is FloorValue:
            a, b = self.data, other.data
            node.data = a * b
            node.grad = 0.0
            node.input = (self, other)
            node.local = (b, a)
            node.uses = 0
        else:
            node.data = self.data * other
            node.grad = 0.0
            node.input = self
            node.local = other
            node.uses = 0
        return node

    def __add__(self, other: FloorValue | float) -> FloorValue:
        node = _new(FloorValue)
        if type(other) is FloorValue:
            node.data = self.data + other.data
            node.grad = 0.0
            node.input = (self, other)
            node.local = (1.0, 1.0)
            node.uses = 0
        else:
            node.data = self.data + other
            node.grad = 0.0
            node.input = self
            node.local = 1.0
            node.uses = 0
        return node

    def __sub__(self, other: float) -> FloorValue:
        node = _new(FloorValue)
        node.data = self.data - other
        node.grad = 0.0
        node.input = self
        node.local = 1.0
        node.uses = 0
        return node

    def __truediv__(self, other: float) -> FloorValue:
        node = _new(FloorValue)
        node.data = self.data / other
        node.grad = 0.0
        node.input = self
        node.local = 1.0 / other
        node.uses = 0
        return node

    def __pow__(self, exponent: float) -> FloorValue:
        a, node = self.data, _new(FloorValue)
        node.data = a**exponent
        node.grad = 0.0
        node.input = self
        node.local = exponent * a ** (exponent - 1)
        node.uses = 0
        return node

    def tanh(self) -> FloorValue:
        t, node = math.tanh(self.data), _new(FloorValue)
        node.data = t
        node.grad = 0.0
        node.input = self
        node.local = (1.0 - t) * (1.0 + t)  # as autograd.ops writes it: exact near |t| = 1
        node.uses = 0
        return node

    def exp(self) -> FloorValue:
        e, node = math.exp(self.data), _new(FloorValue)
        node.data = e
        node.grad = 0.0
        node.input = self
        node.local = e
        node.uses = 0
        return node

    def relu(self) -> FloorValue:
        a, node = self.data, _new(FloorValue)
        node.data = a if a > 0 else 0.0
        node.grad = 0.0
        node.input = self
        node.local = 1.0 if a > 0 else 0.0
        node.uses = 0
        return node

    def backward(self) -> None:
        """Count every node's uses, then release each node once all of its users are done."""
        stack = [self]
        while stack:
            inputs = stack.pop().input
            if type(inputs) is FloorValue:  # one input: most nodes
                if inputs.uses:
                    inputs.uses += 1
                else:
                    inputs.uses = 1
                    stack.append(inputs)
            elif inputs is not None:  # two inputs (None: a leaf)
                for inp in inputs:
                    if inp.uses:
                        inp.uses += 1
                    else:
                        inp.uses = 1
                        stack.append(inp)
        self.grad += 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            inputs, grad = node.input, node.grad
            if type(inputs) is FloorValue:
                inputs.grad += node.local * grad
                inputs.uses -= 1
                if not inputs.uses:
                    ready.append(inputs)
                continue
            if inputs is None:
                continue
            for inp, local in zip(inputs, node.local):  # noqa: B905 (no keyword: faster)
                inp.grad += local * grad
                inp.uses -= 1
                if not inp.uses:
                    ready.append(inp)
