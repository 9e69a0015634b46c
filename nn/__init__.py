"""Neural networks built from autograd Values, in PyTorch's style."""
