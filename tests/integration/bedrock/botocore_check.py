#!/usr/bin/env python3
"""The official AWS SDK against bedrock-emulator: botocore's `bedrock` client drives Create/Get/List/Stop
ModelInvocationJob (spec/bedrock-batch.md §3-§6), every response must parse with the service model, and
every error must surface as the botocore error code a real Bedrock would give (§7). One job also runs end
to end against a SigV4-checking moto_server, read back with boto3's S3 client (§8). The `bedrock-runtime`
client drives InvokeModel for every emulated family and must get what a batch record's modelOutput holds.

usage: botocore_check.py PATH_TO_BEDROCK_EMULATOR
"""
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

from invoke_checks import INVOKE_CHECKS, expect_error

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ARN_RE = re.compile(r"^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/[a-z0-9]{12}$")
STATUSES = {"Submitted", "InProgress", "Completed", "Failed", "Stopping", "Stopped", "PartiallyCompleted",
            "Expired", "Validating", "Scheduled"}
CHECKS = []


def check(name):
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Stack:
    """moto_server (SigV4 on, one IAM key) + bedrock-emulator accepting that key."""

    def __init__(self, emulator):
        self.procs = []
        self.start_moto()
        iam = boto3.client("iam", endpoint_url=self.s3_endpoint, region_name=REGION, aws_access_key_id="x",
                           aws_secret_access_key="x")
        iam.create_user(UserName="emulator-check")
        iam.put_user_policy(UserName="emulator-check", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="emulator-check")["AccessKey"]
        self.akid, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        emu = subprocess.Popen(
            [emulator, "--port", "0", "--access-key-id", self.akid, "--secret-access-key", self.secret,
             "--s3-endpoint", self.s3_endpoint, "--s3-access-key-id", self.akid, "--s3-secret-access-key", self.secret,
             "--submitted-seconds", "0.1", "--validating-seconds", "0.1", "--scheduled-seconds", "0.1",
             "--stopping-seconds", "0.2", "--max-concurrent-jobs", "100"],
            stdout=subprocess.PIPE, text=True)
        self.procs.append(emu)
        first = emu.stdout.readline()
        match = re.match(r"listening on 127\.0\.0\.1:(\d+)", first)
        if not match:
            raise RuntimeError(f"unexpected first line from the emulator: {first!r}")
        self.port = int(match.group(1))
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start_moto(self):
        # A free port can be taken by a parallel test before moto binds it: moto then exits, so retry.
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
        for _ in range(3):
            self.moto_port = free_port()
            moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(moto)
            try:
                wait_port(self.moto_port)
                time.sleep(0.3)
            except RuntimeError:
                pass
            if moto.poll() is None:
                return
        raise RuntimeError("moto_server did not start")

    @property
    def s3_endpoint(self):
        return f"http://127.0.0.1:{self.moto_port}"

    def bedrock(self, akid=None, secret=None):
        # One attempt: the check wants to see the error codes, not botocore's retries.
        return boto3.client("bedrock", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=akid or self.akid, aws_secret_access_key=secret or self.secret,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))

    def runtime(self, attempts=1):
        # Parameter validation on, as in production code: the modelId label and body must pass it.
        return boto3.client("bedrock-runtime", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=self.akid, aws_secret_access_key=self.secret,
                            config=Config(parameter_validation=True,
                                          retries={"max_attempts": attempts, "mode": "standard"}))

    def s3(self):
        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name=REGION, aws_access_key_id=self.akid,
                            aws_secret_access_key=self.secret)

    def admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + path, data=data, method="GET" if body is None else "POST")
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def close(self):
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


def job_args(name, **overrides):
    args = dict(jobName=name, roleArn=ROLE, modelId=MODEL,
                inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://no-such-bucket/in/input.jsonl"}},
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://no-such-bucket/out/"}})
    args.update(overrides)
    return args


def assert_job_shape(job):
    assert ARN_RE.match(job["jobArn"]), job["jobArn"]
    assert job["status"] in STATUSES, job["status"]
    for field in ("submitTime", "lastModifiedTime", "jobExpirationTime"):
        assert isinstance(job[field], datetime.datetime), (field, job[field])
    assert job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"].startswith("s3://")
    assert job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].startswith("s3://")


def wait_status(client, arn, wanted, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        job = client.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in wanted:
            return job
        time.sleep(0.1)
    raise AssertionError(f"{arn} never reached {wanted}; last {job['status']}")


@check("create, get by ARN and by id, idempotent token")
def create_and_get(stack):
    client = stack.bedrock()
    created = client.create_model_invocation_job(**job_args("check-create-1", clientRequestToken="tok-check-1",
                                                            timeoutDurationInHours=24, tags=[{"key": "k", "value": "v"}]))
    arn = created["jobArn"]
    assert ARN_RE.match(arn)
    by_arn = client.get_model_invocation_job(jobIdentifier=arn)
    by_id = client.get_model_invocation_job(jobIdentifier=arn.split("/")[-1])
    assert_job_shape(by_arn)
    assert by_arn["jobArn"] == by_id["jobArn"] == arn
    assert by_arn["jobName"] == "check-create-1" and by_arn["timeoutDurationInHours"] == 24
    assert by_arn["jobExpirationTime"] - by_arn["submitTime"] == datetime.timedelta(hours=24)
    before = stack.admin("/_emulator/stats")["jobsCreated"]
    again = client.create_model_invocation_job(**job_args("check-create-1", clientRequestToken="tok-check-1"))
    assert again["jobArn"] == arn, "same clientRequestToken must return the original ARN"
    assert stack.admin("/_emulator/stats")["jobsCreated"] == before
    # The job has no input: it fails asynchronously in Validating with a message (spec §3).
    failed = wait_status(client, arn, {"Failed"})
    assert failed["message"] and "endTime" in failed


@check("ValidationException for every kind of bad parameter")
def validation(stack):
    client = stack.bedrock()
    create = client.create_model_invocation_job
    expect_error("ValidationException", 400, create, **job_args("my_job"))
    expect_error("ValidationException", 400, create, **job_args("ok", clientRequestToken="batch_x"))
    expect_error("ValidationException", 400, create, **job_args("ok", timeoutDurationInHours=169))
    expect_error("ValidationException", 400, create, **job_args("ok", roleArn="arn:aws:iam::123456789012:user/u"))
    expect_error("ValidationException", 400, create, **job_args(
        "ok", inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://bucket/a b.jsonl"}}))
    expect_error("ValidationException", 400, create, **job_args(
        "ok", outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/", "s3EncryptionKeyId": "not a key"}}))
    expect_error("ValidationException", 400, create, **job_args("ok", tags=[{"key": "k", "value": "a*b"}]))
    expect_error("ValidationException", 400, create, **job_args("ok", modelId="cohere.command-r-v1:0"))
    error = expect_error("ValidationException", 400, client.list_model_invocation_jobs, maxResults=1001)
    assert "maxResults" in error.response["Error"]["Message"]
    expect_error("ValidationException", 400, client.get_model_invocation_job, jobIdentifier="NOT-AN-ID")


@check("ResourceNotFoundException for unknown jobs")
def not_found(stack):
    client = stack.bedrock()
    expect_error("ResourceNotFoundException", 404, client.get_model_invocation_job, jobIdentifier="zzzzzzzzzzzz")
    expect_error("ResourceNotFoundException", 404, client.stop_model_invocation_job,
                 jobIdentifier="arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/zzzzzzzzzzzz")


@check("list with paging, filters and sort order")
def list_paging(stack):
    client = stack.bedrock()
    arns = [client.create_model_invocation_job(**job_args(f"page-{i}"))["jobArn"] for i in range(7)]
    pages = list(client.get_paginator("list_model_invocation_jobs").paginate(
        nameContains="page-", PaginationConfig={"PageSize": 3}))
    assert [len(p["invocationJobSummaries"]) for p in pages] == [3, 3, 1], [len(p["invocationJobSummaries"]) for p in pages]
    assert "nextToken" not in pages[-1]
    listed = [s["jobArn"] for p in pages for s in p["invocationJobSummaries"]]
    assert listed == list(reversed(arns)), "default order is Descending by submitTime"
    for summary in pages[0]["invocationJobSummaries"]:
        assert_job_shape(summary)
    ascending = client.list_model_invocation_jobs(nameContains="page-", sortBy="CreationTime", sortOrder="Ascending")
    assert [s["jobArn"] for s in ascending["invocationJobSummaries"]] == arns
    after = client.list_model_invocation_jobs(nameContains="page-",
                                              submitTimeAfter=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
    assert len(after["invocationJobSummaries"]) == 7
    future = client.list_model_invocation_jobs(submitTimeAfter=datetime.datetime.now(datetime.timezone.utc)
                                               + datetime.timedelta(days=1))
    assert future["invocationJobSummaries"] == []
    failed = wait_status(client, arns[0], {"Failed"})
    by_status = client.list_model_invocation_jobs(statusEquals="Failed", nameContains="page-0")
    assert [s["jobArn"] for s in by_status["invocationJobSummaries"]] == [failed["jobArn"]]


@check("stop: Stopping then Stopped; stopping a terminal job is a ValidationException")
def stop(stack):
    client = stack.bedrock()
    stack.admin("/_emulator/config", {"submittedSeconds": 30})
    try:
        arn = client.create_model_invocation_job(**job_args("check-stop"))["jobArn"]
    finally:
        stack.admin("/_emulator/config", {"submittedSeconds": 0.1})
    response = client.stop_model_invocation_job(jobIdentifier=arn)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_model_invocation_job(jobIdentifier=arn)["status"] in {"Stopping", "Stopped"}
    client.stop_model_invocation_job(jobIdentifier=arn)  # Stopping again is accepted
    stopped = wait_status(client, arn, {"Stopped"})
    assert "endTime" in stopped
    error = expect_error("ValidationException", 400, client.stop_model_invocation_job, jobIdentifier=arn)
    assert "State was: Stopped" in error.response["Error"]["Message"]


@check("quota, throttling and internal errors from the fault knobs")
def faults(stack):
    client = stack.bedrock()
    stack.admin("/_emulator/config", {"forceQuotaExceeded": True})
    try:
        expect_error("ServiceQuotaExceededException", 400, client.create_model_invocation_job, **job_args("check-quota"))
    finally:
        stack.admin("/_emulator/config", {"forceQuotaExceeded": False})
    # quotaExceededFirstN: the next N creates are refused the same way, then the same request goes through.
    stack.admin("/_emulator/config", {"quotaExceededFirstN": 1})
    args = job_args("check-quota-once", clientRequestToken="check-quota-once")
    expect_error("ServiceQuotaExceededException", 400, client.create_model_invocation_job, **args)
    assert ARN_RE.match(client.create_model_invocation_job(**args)["jobArn"])  # its input is missing: it fails
    assert stack.admin("/_emulator/config")["quotaExceededFirstN"] == 0
    stack.admin("/_emulator/config", {"throttleRate": 1.0})
    try:
        expect_error("ThrottlingException", 429, client.list_model_invocation_jobs)
    finally:
        stack.admin("/_emulator/config", {"throttleRate": 0.0})
    stack.admin("/_emulator/config", {"serverErrorRate": 1.0})
    try:
        expect_error("InternalServerException", 500, client.get_model_invocation_job, jobIdentifier="zzzzzzzzzzzz")
    finally:
        stack.admin("/_emulator/config", {"serverErrorRate": 0.0})
    # With botocore's own retries, a partly throttled emulator still answers.
    stack.admin("/_emulator/config", {"throttleRate": 0.3})
    try:
        patient = boto3.client("bedrock", endpoint_url=stack.endpoint, region_name=REGION,
                               aws_access_key_id=stack.akid, aws_secret_access_key=stack.secret,
                               config=Config(retries={"max_attempts": 10, "mode": "standard"}))
        for _ in range(5):
            patient.list_model_invocation_jobs(maxResults=1)
    finally:
        stack.admin("/_emulator/config", {"throttleRate": 0.0})


@check("signature errors")
def signatures(stack):
    wrong_secret = stack.bedrock(secret="definitely-not-the-secret")
    expect_error("InvalidSignatureException", 403, wrong_secret.list_model_invocation_jobs)
    unknown_key = stack.bedrock(akid="AKIDUNKNOWN000000000", secret="whatever")
    expect_error("UnrecognizedClientException", 403, unknown_key.get_model_invocation_job, jobIdentifier="zzzzzzzzzzzz")


@check("a job end to end through moto_server")
def end_to_end(stack):
    s3 = stack.s3()
    s3.create_bucket(Bucket="check-bucket")
    lines = []
    for i in range(110):
        model_input = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                       "messages": [{"role": "user", "content": f"question number {i}"}]}
        if i % 11 == 0:
            model_input["model"] = MODEL  # not allowed inside modelInput (spec §8.1)
        lines.append(json.dumps({"recordId": f"REC{i:08d}", "modelInput": model_input}))
    s3.put_object(Bucket="check-bucket", Key="batch/in/input.jsonl", Body="\n".join(lines) + "\n")
    client = stack.bedrock()
    arn = client.create_model_invocation_job(**job_args(
        "check-e2e", inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://check-bucket/batch/in/input.jsonl",
                                                            "s3InputFormat": "JSONL"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://check-bucket/batch/out/"}}))["jobArn"]
    job = wait_status(client, arn, {"Completed", "Failed", "PartiallyCompleted"})
    assert job["status"] == "Completed", job
    assert (job["totalRecordCount"], job["processedRecordCount"], job["successRecordCount"],
            job["errorRecordCount"]) == (110, 110, 100, 10), job
    job_id = arn.split("/")[-1]
    body = s3.get_object(Bucket="check-bucket", Key=f"batch/out/{job_id}/input.jsonl.out")["Body"].read().decode()
    out = {r["recordId"]: r for r in map(json.loads, body.splitlines())}
    assert set(out) == {f"REC{i:08d}" for i in range(110)}
    assert out["REC00000000"]["error"]["errorCode"] == 400
    assert "extraneous key [model]" in out["REC00000000"]["error"]["errorMessage"]
    assert out["REC00000001"]["modelOutput"]["type"] == "message"
    manifest = json.loads(s3.get_object(Bucket="check-bucket",
                                        Key=f"batch/out/{job_id}/manifest.json.out")["Body"].read())
    assert manifest["successRecordCount"] + manifest["errorRecordCount"] == manifest["totalRecordCount"] == 110
    assert manifest["inputTokenCount"] == sum(r["modelOutput"]["usage"]["input_tokens"]
                                              for r in out.values() if "modelOutput" in r)
    assert manifest["outputTokenCount"] == sum(r["modelOutput"]["usage"]["output_tokens"]
                                               for r in out.values() if "modelOutput" in r)


@check("InvokeModel answers what a batch record holds for the same modelInput")
def invoke_matches_batch(stack):
    s3 = stack.s3()
    s3.create_bucket(Bucket="invoke-bucket")
    inputs = [{"anthropic_version": "bedrock-2023-05-31", "max_tokens": n,
               "messages": [{"role": "user", "content": f"same input {n}"}]} for n in (5, 64, 200)]
    inputs.append({"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": "x"}]})
    lines = [json.dumps({"recordId": f"INV{i:08d}", "modelInput": m}) for i, m in enumerate(inputs)]
    s3.put_object(Bucket="invoke-bucket", Key="in/input.jsonl", Body="\n".join(lines) + "\n")
    stack.admin("/_emulator/config", {"minRecords": 1})
    try:
        arn = stack.bedrock().create_model_invocation_job(**job_args(
            "check-invoke-vs-batch", inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://invoke-bucket/in/input.jsonl"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://invoke-bucket/out/"}}))["jobArn"]
        job = wait_status(stack.bedrock(), arn, {"Completed", "Failed", "PartiallyCompleted"})
    finally:
        stack.admin("/_emulator/config", {"minRecords": 100})
    assert job["status"] == "Completed", job
    body = s3.get_object(Bucket="invoke-bucket", Key=f"out/{arn.split('/')[-1]}/input.jsonl.out")["Body"].read()
    records = {r["recordId"]: r for r in map(json.loads, body.decode().splitlines())}
    runtime = stack.runtime()
    for i, model_input in enumerate(inputs):
        record = records[f"INV{i:08d}"]
        if "modelOutput" in record:
            got = json.loads(runtime.invoke_model(modelId=MODEL, body=json.dumps(model_input))["body"].read())
            assert got == record["modelOutput"], (got, record["modelOutput"])
            continue
        error = expect_error("ValidationException", 400, runtime.invoke_model, modelId=MODEL,
                             body=json.dumps(model_input))
        assert error.response["Error"]["Message"] == record["error"]["errorMessage"], (error, record)
    assert sum("error" in r for r in records.values()) == 1


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    CHECKS.extend(INVOKE_CHECKS)
    stack = Stack(sys.argv[1])
    failures = 0
    try:
        for name, fn in CHECKS:
            try:
                fn(stack)
                print(f"ok   {name}")
            except Exception as error:  # report every failing check, not only the first
                failures += 1
                print(f"FAIL {name}: {type(error).__name__}: {error}")
    finally:
        stack.close()
    print(f"{len(CHECKS) - failures}/{len(CHECKS)} checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
