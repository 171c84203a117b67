"""botocore's `bedrock-runtime` client against bedrock-emulator's InvokeModel (POST /model/{modelId}/invoke):
the four emulated families, the token-count headers, ValidationException for a body the model rejects or a
model it does not know, the invoke* fault knobs surfacing as botocore's modelled error codes, retries
proven by the per-body counters, and latency that holds up only its own call. Run by botocore_check.py.
"""
import hashlib
import json
import threading
import time

from botocore.exceptions import ClientError

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def claude_body(text, max_tokens=64):
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": text}]}


# (model id as a caller names it, modelInput, check of the response body, its input and output token counts)
FAMILIES = [
    (CLAUDE, claude_body("hello claude"),
     lambda b: b["type"] == "message" and b["content"][0]["type"] == "text" and b["stop_reason"] == "end_turn",
     lambda b: (b["usage"]["input_tokens"], b["usage"]["output_tokens"])),
    ("us.amazon.nova-lite-v1:0",
     {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "hello nova"}]}],
      "inferenceConfig": {"maxTokens": 32}},
     lambda b: b["output"]["message"]["role"] == "assistant" and b["output"]["message"]["content"][0]["text"],
     lambda b: (b["usage"]["inputTokens"], b["usage"]["outputTokens"])),
    ("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0",
     {"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello llama<|eot_id|>",
      "max_gen_len": 40},
     lambda b: b["generation"] and b["stop_reason"] in ("stop", "length"),
     lambda b: (b["prompt_token_count"], b["generation_token_count"])),
    ("amazon.titan-embed-text-v2:0", {"inputText": "embed this text", "dimensions": 256},
     lambda b: len(b["embedding"]) == 256 and len(b["embeddingsByType"]["float"]) == 256,
     lambda b: (b["inputTextTokenCount"], 0)),
]


def sha256(body):
    return hashlib.sha256(body.encode()).hexdigest()


def expect_error(code, status, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as error:
        got = error.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {error}"
        http = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert http == status, f"{code}: expected HTTP {status}, got {http}"
        assert error.response["Error"]["Message"], f"{code} without a message"
        return error
    raise AssertionError(f"expected {code}, the call succeeded")


def with_knobs(stack, knobs, fn):
    """Runs fn with the knobs set, then puts every one back to its default."""
    defaults = {"invokeLatencyMs": 0, "invokeThrottleRate": 0.0, "invokeServerErrorRate": 0.0,
                "invokeFailureRate": 0.0, "invokeFailureCode": 424, "invokeThrottleFirstN": 0}
    stack.admin("/_emulator/config", knobs)
    try:
        return fn()
    finally:
        stack.admin("/_emulator/config", {name: defaults[name] for name in knobs})


def every_family(stack):
    client = stack.runtime()
    stack.admin("/_emulator/reset-invocations", {})
    for model_id, model_input, shape_ok, tokens in FAMILIES:
        response = client.invoke_model(modelId=model_id, body=json.dumps(model_input),
                                       contentType="application/json", accept="application/json")
        assert response["contentType"] == "application/json", response["contentType"]
        body = json.loads(response["body"].read())
        assert shape_ok(body), (model_id, body)
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        got = (int(headers["x-amzn-bedrock-input-token-count"]), int(headers["x-amzn-bedrock-output-token-count"]))
        assert got == tokens(body), (model_id, got, tokens(body))
        assert response["ResponseMetadata"]["RequestId"], "x-amzn-RequestId missing"
        again = json.loads(client.invoke_model(modelId=model_id, body=json.dumps(model_input))["body"].read())
        assert again == body, f"{model_id}: the same body must give the same output"
    stats = stack.admin("/_emulator/stats")
    assert stats["invocations"] == 2 * len(FAMILIES), stats
    assert stats["invocationsByModel"] == {model_id: 2 for model_id, *_ in FAMILIES}, stats["invocationsByModel"]


def validation(stack):
    client = stack.runtime()
    bad = dict(claude_body("hi"), model=CLAUDE)  # OpenAI's key is not part of the Messages body
    error = expect_error("ValidationException", 400, client.invoke_model, modelId=CLAUDE, body=json.dumps(bad))
    assert "extraneous key [model]" in error.response["Error"]["Message"], error
    no_tokens = {k: v for k, v in claude_body("hi").items() if k != "max_tokens"}
    expect_error("ValidationException", 400, client.invoke_model, modelId=CLAUDE, body=json.dumps(no_tokens))
    error = expect_error("ValidationException", 400, client.invoke_model, modelId="cohere.command-r-v1:0",
                         body=json.dumps(claude_body("hi")))
    assert error.response["Error"]["Message"] == "The provided model identifier is invalid.", error
    expect_error("ValidationException", 400, client.invoke_model, modelId=CLAUDE,
                 body=json.dumps(claude_body("hi")), contentType="text/plain")


def faults(stack):
    client = stack.runtime()
    body = json.dumps(claude_body("faults"))
    with_knobs(stack, {"invokeThrottleRate": 1.0},
               lambda: expect_error("ThrottlingException", 429, client.invoke_model, modelId=CLAUDE, body=body))
    # The batch operations keep their own knobs: InvokeModel ignores throttleRate.
    stack.admin("/_emulator/config", {"throttleRate": 1.0})
    try:
        client.invoke_model(modelId=CLAUDE, body=body)
    finally:
        stack.admin("/_emulator/config", {"throttleRate": 0.0})

    def server_errors():
        codes = set()
        for _ in range(40):
            try:
                client.invoke_model(modelId=CLAUDE, body=body)
            except ClientError as error:
                codes.add((error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]))
        assert codes == {("InternalServerException", 500), ("ServiceUnavailableException", 503)}, codes
    with_knobs(stack, {"invokeServerErrorRate": 1.0}, server_errors)
    with_knobs(stack, {"invokeFailureRate": 1.0},
               lambda: expect_error("ModelErrorException", 424, client.invoke_model, modelId=CLAUDE, body=body))
    with_knobs(stack, {"invokeFailureRate": 1.0, "invokeFailureCode": 408},
               lambda: expect_error("ModelTimeoutException", 408, client.invoke_model, modelId=CLAUDE, body=body))


def retries(stack):
    stack.admin("/_emulator/reset-invocations", {})
    body = json.dumps(claude_body("retry me"))
    patient = stack.runtime(attempts=5)

    def retried():
        response = patient.invoke_model(modelId=CLAUDE, body=body)
        assert response["ResponseMetadata"]["RetryAttempts"] == 2, response["ResponseMetadata"]
        counts = stack.admin("/_emulator/invocations")["counts"]
        assert counts == {sha256(body): 1}, counts
        expect_error("ThrottlingException", 429, stack.runtime().invoke_model, modelId=CLAUDE,
                     body=json.dumps(claude_body("another body")))
    with_knobs(stack, {"invokeThrottleFirstN": 2}, retried)
    stack.admin("/_emulator/reset-invocations", {})
    assert stack.admin("/_emulator/invocations")["counts"] == {}
    assert stack.admin("/_emulator/stats")["invocations"] == 0


def latency(stack):
    client = stack.runtime()
    batch = stack.bedrock()

    def slow_call():
        started = time.monotonic()
        done = {}
        worker = threading.Thread(target=lambda: done.update(
            r=client.invoke_model(modelId=CLAUDE, body=json.dumps(claude_body("slow")))))
        worker.start()
        time.sleep(0.1)
        fast_started = time.monotonic()
        batch.list_model_invocation_jobs(maxResults=1)
        fast = time.monotonic() - fast_started
        worker.join()
        slow = time.monotonic() - started
        assert slow >= 0.8, f"InvokeModel took {slow:.3f}s with invokeLatencyMs 800"
        assert fast < 0.5, f"another request waited {fast:.3f}s behind the slow invocation"
        assert done["r"]["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-invocation-latency"] == "800"
    with_knobs(stack, {"invokeLatencyMs": 800}, slow_call)


INVOKE_CHECKS = [
    ("InvokeModel: the four families, their bodies and token headers", every_family),
    ("InvokeModel: ValidationException for a rejected body or an unknown model", validation),
    ("InvokeModel: throttling, server and model errors from the invoke knobs", faults),
    ("InvokeModel: botocore retries the first throttled calls, the model runs once", retries),
    ("InvokeModel: latency holds up only its own call", latency),
]
