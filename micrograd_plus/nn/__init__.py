"""Neural-network modules built only from scalar Values."""

from micrograd_plus.nn import init
from micrograd_plus.nn.attention import CausalSelfAttention, KVCache
from micrograd_plus.nn.container import Activation, Sequential
from micrograd_plus.nn.conv import Conv1d, Conv2d
from micrograd_plus.nn.embedding import Embedding
from micrograd_plus.nn.gpt import GPT, load_microgpt_weights
from micrograd_plus.nn.layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron, Perceptron
from micrograd_plus.nn.module import Module
from micrograd_plus.nn.norm import BatchNorm1d, LayerNorm
from micrograd_plus.nn.pool import AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from micrograd_plus.nn.rmsnorm import RMSNorm
from micrograd_plus.nn.rnn import RNN, RNNCell, RNNOutput

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "AvgPool2d",
    "BatchNorm1d",
    "CausalSelfAttention",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "GPT",
    "KVCache",
    "Layer",
    "LayerNorm",
    "MLP",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "Neuron",
    "Perceptron",
    "RMSNorm",
    "RNN",
    "RNNCell",
    "RNNOutput",
    "Sequential",
    "init",
    "load_microgpt_weights",
]
