"""A reference point for the chain benchmark: the least work an engine can do per node when
each node is one Python object holding its data, its gradient, its input and its local
derivative (as this project's nodes and micrograd's are).

``ChainValue`` is not an engine anyone should use. Each operator is written out by hand for
the benchmark's ten operations, with no table of rules, no modes, no checks of its argument
types, and four slots per node. Its ``backward`` knows that the graph is the benchmark's
chain (each node's first input is the running value, a second one is a leaf), so it walks
back along the chain with no topological sort: on any other graph it would be wrong.

Whatever a real engine adds (a sort that handles any graph, the rules in one table, no_grad
and anomaly modes, graph access for drawings and ``create_graph``) costs time on top of this,
and so does nothing here: the measurement shows how much of a real engine's time goes to the
per-node floor itself, Python's cyclic garbage collector included.
"""

from __future__ import annotations

import math

_new = object.__new__


class ChainValue:
    """One node: data, gradient, the input (a ChainValue, or a pair for two-Value operations)
    and the local derivative (a float, or a pair).

    >>> x, w = ChainValue(3.0), ChainValue(2.0)
    >>> y = (x * w + 1.0) ** 2
    >>> y.backward()
    >>> y.data, x.grad, w.grad
    (49.0, 28.0, 42.0)
    """

    __slots__ = ("data", "grad", "input", "local")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self.input, self.local = data, 0.0, None, None

    # Each operator makes its node inline, one store per line: a helper function would cost a
    # call per node, and a tuple assignment builds and unpacks a tuple.

    def __mul__(self, other: ChainValue | float) -> ChainValue:
        node = _new(ChainValue)
        if type(other) is ChainValue:
            a, b = self.data, other.data
            node.data = a * b
            node.grad = 0.0
            node.input = (self, other)
            node.local = (b, a)
        else:
            node.data = self.data * other
            node.grad = 0.0
            node.input = self
            node.local = other
        return node

    def __add__(self, other: ChainValue | float) -> ChainValue:
        node = _new(ChainValue)
        if type(other) is ChainValue:
            node.data = self.data + other.data
            node.grad = 0.0
            node.input = (self, other)
            node.local = (1.0, 1.0)
        else:
            node.data = self.data + other
            node.grad = 0.0
            node.input = self
            node.local = 1.0
        return node

    def __sub__(self, other: float) -> ChainValue:
        node = _new(ChainValue)
        node.data = self.data - other
        node.grad = 0.0
        node.input = self
        node.local = 1.0
        return node

    def __truediv__(self, other: float) -> ChainValue:
        node = _new(ChainValue)
        node.data = self.data / other
        node.grad = 0.0
        node.input = self
        node.local = 1.0 / other
        return node

    def __pow__(self, exponent: float) -> ChainValue:
        a, node = self.data, _new(ChainValue)
        node.data = a**exponent
        node.grad = 0.0
        node.input = self
        node.local = exponent * a ** (exponent - 1)
        return node

    def tanh(self) -> ChainValue:
        t, node = math.tanh(self.data), _new(ChainValue)
        node.data = t
        node.grad = 0.0
        node.input = self
        node.local = 1.0 - t * t
        return node

    def exp(self) -> ChainValue:
        e, node = math.exp(self.data), _new(ChainValue)
        node.data = e
        node.grad = 0.0
        node.input = self
        node.local = e
        return node

    def relu(self) -> ChainValue:
        a, node = self.data, _new(ChainValue)
        node.data = a if a > 0 else 0.0
        node.grad = 0.0
        node.input = self
        node.local = 1.0 if a > 0 else 0.0
        return node

    def backward(self) -> None:
        """Walk back along the chain; only correct for graphs shaped like the benchmark's."""
        self.grad += 1.0
        node = self
        while node.input is not None:
            grad = node.grad
            if type(node.input) is tuple:
                (running, leaf), (d_running, d_leaf) = node.input, node.local
                leaf.grad += d_leaf * grad
            else:
                running, d_running = node.input, node.local
            running.grad += d_running * grad
            node = running
