"""Composing modules: ``Sequential`` (each module's output is the next one's input) and ``Activation``.

>>> from micrograd_plus.nn import Conv2d, Flatten, Layer, MaxPool2d
>>> conv = Conv2d(1, 2, kernel_size=3, seed=0)
>>> model = Sequential(conv, Activation("relu"), MaxPool2d(2), Flatten(), Layer(8, 3, "linear", seed=0))
>>> len(model([[[0.5] * 6 for _ in range(6)]]))
3
>>> [name for name, _ in model.named_parameters()][:2]
['0.weight.0.0.0.0', '0.weight.0.0.0.1']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from micrograd_plus.nn.layers import check_activation
from micrograd_plus.nn.module import Module, scoped
from micrograd_plus.nn.shapes import lift_number

__all__ = ["Activation", "Sequential"]


class Activation(Module):
    """act(x) applied to every element of a nested list (numbers or Values), keeping its shape.

    >>> [[v.data for v in row] for row in Activation("relu")([[-1.0, 2.0]])]
    [[0.0, 2.0]]
    """

    def __init__(self, activation: str = "relu") -> None:
        self.activation = activation
        self._act = check_activation(activation)

    def config(self) -> dict[str, Any]:
        return {"activation": self.activation}

    def __call__(self, x: Any) -> Any:
        with scoped(self):
            return self._apply(x)

    def _apply(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [self._apply(item) for item in x]
        v = lift_number(x, "Activation (nested lists of numbers or Values)")
        return v if self._act is None else self._act(v)


class Sequential(Module):
    """f_n(… f_2(f_1(x))): the modules applied in order; parameters are named ``0.weight…``, ``1.…``.

    The modules are attributes named ``"0"``, ``"1"``, …, so ``named_parameters``, ``state_dict``,
    ``train``/``eval`` and drawings find them like any other child module.
    """

    def __init__(self, *modules: Module) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module, e.g. Sequential(Conv2d(1, 4, 3), Flatten())")
        for i, module in enumerate(modules):
            if not isinstance(module, Module) or not callable(module):
                raise TypeError(f"Sequential takes modules, got {type(module).__name__} {module!r} at position {i}")
            setattr(self, str(i), module)
        self._modules = modules

    def config(self) -> dict[str, Any]:
        return {"modules": [module.architecture() for module in self._modules]}

    def _repr_head(self) -> str:
        """``Sequential()`` and the parameter count: the children's architectures are in their own lines."""
        return f"Sequential()  # {super()._repr_head().rpartition('  # ')[2]}"

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, index: int) -> Module:
        return self._modules[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)

    def __call__(self, x: Any) -> Any:
        with scoped(self):
            for module in self._modules:
                x = module(x)  # type: ignore[operator]
        return x
