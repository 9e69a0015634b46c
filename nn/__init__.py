"""Neural networks built from autograd Values, in PyTorch's style."""

import importlib

from nn import datasets
from nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from nn.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from nn.io import load, save
from nn.layers import MLP, Dropout, Layer, Neuron
from nn.linear import Linear
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from nn.module import Module
from nn.optim import SGD, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm_, clip_grad_value_
from nn.schedulers import CosineAnnealingLR, ExponentialLR, LinearLR, LRScheduler, StepLR
from nn.sequential import Sequential
from nn.torch_convert import from_torch
from nn.train import History, TrainingDivergedError, evaluate, fit

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineAnnealingLR",
    "CrossEntropyLoss",
    "Dropout",
    "ExponentialLR",
    "History",
    "Identity",
    "L1Loss",
    "LRScheduler",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LinearLR",
    "MSELoss",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSprop",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "StepLR",
    "Tanh",
    "TrainingDivergedError",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm_",
    "clip_grad_value_",
    "cross_entropy",
    "datasets",
    "evaluate",
    "fit",
    "from_torch",
    "hinge_loss",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "load",
    "log_softmax",
    "mse_loss",
    "save",
    "softmax",
]


def __getattr__(name: str) -> object:
    # nn.plot pulls in matplotlib, so it is imported on first use, not with nn.
    if name == "plot":
        return importlib.import_module("nn.plot")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
