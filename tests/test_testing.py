"""The strategies for test authors keep every op inside its domain."""

from __future__ import annotations

from hypothesis import given, settings

from micrograd_plus import Value
from micrograd_plus.check.op_table import OPS, Expression, expressions


@given(expressions(max_inputs=4, max_steps=12))
@settings(max_examples=200, deadline=None)
def test_every_step_sees_operands_in_its_domain(e: Expression) -> None:
    assert 1 <= len(e.inputs) <= 4 and 1 <= len(e.steps) <= 12
    values = list(e.inputs)
    for name, operands in e.steps:
        spec = OPS[name]
        assert len(operands) == spec.arity
        for register, domain in zip(operands, spec.domains):
            assert register < len(values) and domain.contains(values[register])
        values.append(spec.build(*[Value(values[i]) for i in operands]).data)
    assert e(*map(Value, e.inputs)).data == values[-1]


def test_expressions_reuse_registers() -> None:
    reused = []

    @given(expressions(max_steps=10))
    @settings(max_examples=100, deadline=None, derandomize=True)
    def collect(e: Expression) -> None:
        used = [i for _, operands in e.steps for i in operands]
        reused.append(len(used) != len(set(used)))

    collect()
    assert any(reused), "expected fan-out (a register used twice) in some drawn graphs"
