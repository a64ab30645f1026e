"""The contract's bodies for the OpenAPI page only, with each served model's probe as the
example of its request and answer.

Requests are parsed by services.contract and the model's codec (JSON whatever the
Content-Type), not by FastAPI, so every backend rejects exactly the same inputs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.spec import ModelSpec


class ErrorBody(BaseModel):
    code: int = Field(examples=[400])
    type: str = Field(examples=["InvalidInput"])
    message: str = Field(examples=["1023 is out of range; expected an integer from 0 to 1022"])


class Health(BaseModel):
    status: str = Field(examples=["Healthy"])


class Tensor(BaseModel):
    name: str = Field(examples=["input.1"])
    datatype: str = Field(examples=["FP32"])
    shape: list[int] = Field(examples=[[-1, 10]], description="-1: the batch dimension")


class ServedModel(BaseModel):
    name: str = Field(examples=["fizzbuzz"])
    version: str = Field(description="the sha256 of the model's weights")
    inputs: list[Tensor]
    outputs: list[Tensor]


def error(description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


def _examples(specs: list[ModelSpec], answers: bool) -> dict[str, object]:
    return {
        spec.name: {"value": spec.probe.expected if answers else spec.probe.document}
        for spec in specs
    }


def prediction_request_body(specs: list[ModelSpec]) -> dict[str, object]:
    names = ", ".join(f"`{spec.name}`: `{spec.codec.field}`" for spec in specs)
    schema = {"type": "object", "description": f"The model's field holds the input ({names})"}
    content = {"schema": schema, "examples": _examples(specs, answers=False)}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


def prediction_responses(specs: list[ModelSpec]) -> dict[int | str, dict[str, object]]:
    answer = {"application/json": {"examples": _examples(specs, answers=True)}}
    return {
        200: {"description": "The answers, in request order", "content": answer},
        400: error("Bad input: not JSON, no input field, an item the model does not accept"),
        404: error("Unknown model"),
        405: error("Method other than POST"),
        413: error("Body over 64 KiB"),
        503: error("Redis unreachable or the model not loaded"),
    }


PING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": Health, "description": "Every model answered its probe correctly"},
    503: {"model": Health, "description": "Redis or a model cannot answer"},
}
MODELS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": list[ServedModel], "description": "The served models, in registry order"},
    503: error("Redis unreachable or a model not loaded"),
}
