"""Neural-network modules built only from scalar Values."""

from micrograd_plus.nn import init
from micrograd_plus.nn.container import Activation, Sequential
from micrograd_plus.nn.conv import Conv1d, Conv2d
from micrograd_plus.nn.layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron, Perceptron
from micrograd_plus.nn.module import Module
from micrograd_plus.nn.norm import BatchNorm1d, LayerNorm
from micrograd_plus.nn.pool import AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from micrograd_plus.nn.rnn import RNN, RNNCell, RNNOutput

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "RNN",
    "Activation",
    "AvgPool2d",
    "BatchNorm1d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Layer",
    "LayerNorm",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "Neuron",
    "Perceptron",
    "RNNCell",
    "RNNOutput",
    "Sequential",
    "init",
]
