"""Neural-network modules built only from scalar Values."""

from micrograd_plus.nn.layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron, Perceptron
from micrograd_plus.nn.module import Module
from micrograd_plus.nn.rnn import RNN, RNNCell, RNNOutput

__all__ = ["ACTIVATIONS", "MLP", "RNN", "Dropout", "Layer", "Module", "Neuron", "Perceptron", "RNNCell", "RNNOutput"]
