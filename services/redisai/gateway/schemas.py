"""The contract's bodies as pydantic models, for the OpenAPI page only.

Requests are parsed by services.contract (JSON whatever the Content-Type, the codec's
validation), not by FastAPI, so every backend rejects exactly the same inputs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.fizzbuzz import codec


class PredictionInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    input_1: int | list[int] = Field(
        alias="input.1",
        description=f"N, or a list of N; {codec.ACCEPTED}",
        examples=[14, [1, 2, 14]],
    )


class PredictionOutput(BaseModel):
    next_number: str | list[str] = Field(
        description='The answer for N + 1: "Fizz", "Buzz", "FizzBuzz" or N + 1 as a string',
        examples=["FizzBuzz", ["2", "Fizz", "FizzBuzz"]],
    )


class ErrorBody(BaseModel):
    code: int = Field(examples=[400])
    type: str = Field(examples=["InvalidInput"])
    message: str = Field(examples=["1023 is out of range; expected " + codec.ACCEPTED])


class Health(BaseModel):
    status: str = Field(examples=["Healthy"])


def error(description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


PREDICTION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": PredictionOutput, "description": "The answers, in request order"},
    400: error("Bad input: not JSON, no `input.1`, a non-integer, out of range, bad list size"),
    404: error("Unknown model"),
    405: error("Method other than POST"),
    413: error("Body over 64 KiB"),
    503: error("Redis unreachable or the model not loaded"),
}
PING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": Health, "description": "The model answered a probe correctly"},
    503: {"model": Health, "description": "Redis or the model cannot answer"},
}
PREDICTION_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictionInput.model_json_schema()}},
    }
}
