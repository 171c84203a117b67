#!/usr/bin/env python3
"""The official AWS SDK against `bedrock-emulator --serve-s3`: boto3's S3 client and s3transfer drive
CreateBucket, HeadBucket, Put/Get/Head/DeleteObject (ranges included), ListObjectsV2 pages, multipart uploads
(low level and s3transfer's parallel parts and ranged downloads) and ListMultipartUploads; every response must
parse with botocore's s3 service model and every error must surface as S3's code and status
(spec/aws-sigv4-s3.md §3). The Bedrock API keeps answering on the same port.

usage: s3_botocore_check.py PATH_TO_BEDROCK_EMULATOR
"""
import hashlib
import io
import os
import re
import subprocess
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "integration", "bedrock"))
from invoke_checks import expect_error  # noqa: E402

REGION = "us-east-1"
AKID, SECRET = "AKIDSERVES3BOTO", "serve-s3-botocore-secret"
MIB = 1024 * 1024
CHECKS = []


def check(name):
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


class Emulator:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--port", "0", "--serve-s3", "--access-key-id", AKID,
                                      "--secret-access-key", SECRET], stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        match = re.match(r"listening on 127\.0\.0\.1:(\d+)", first)
        if not match:
            raise RuntimeError(f"unexpected first line from the emulator: {first!r}")
        self.endpoint = f"http://127.0.0.1:{match.group(1)}"

    def client(self, service="s3", secret=SECRET):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=AKID,
                            aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def etag_of(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


@check("buckets and objects: put, get (ranges), head, delete")
def objects(emu):
    s3 = emu.client()
    assert s3.create_bucket(Bucket="objects")["Location"] == "/objects"
    s3.head_bucket(Bucket="objects")
    expect_error("BucketAlreadyOwnedByYou", 409, s3.create_bucket, Bucket="objects")
    key = "dir/ä b+c.txt"
    put = s3.put_object(Bucket="objects", Key=key, Body=b"hello world", ContentType="text/plain")
    assert put["ETag"] == etag_of(b"hello world"), put
    got = s3.get_object(Bucket="objects", Key=key)
    assert got["Body"].read() == b"hello world"
    assert (got["ContentLength"], got["ContentType"], got["ETag"]) == (11, "text/plain", put["ETag"]), got
    ranged = s3.get_object(Bucket="objects", Key=key, Range="bytes=6-")
    assert ranged["Body"].read() == b"world" and ranged["ContentRange"] == "bytes 6-10/11", ranged
    expect_error("InvalidRange", 416, s3.get_object, Bucket="objects", Key=key, Range="bytes=11-")
    head = s3.head_object(Bucket="objects", Key=key)
    assert head["ContentLength"] == 11 and head["LastModified"].year >= 2024, head
    s3.delete_object(Bucket="objects", Key=key)
    expect_error("NoSuchKey", 404, s3.get_object, Bucket="objects", Key=key)
    expect_error("404", 404, s3.head_object, Bucket="objects", Key=key)  # HEAD errors have no body
    expect_error("NoSuchBucket", 404, s3.get_object, Bucket="no-such-bucket", Key=key)
    wrong = emu.client(secret="not-the-secret")
    expect_error("SignatureDoesNotMatch", 403, wrong.put_object, Bucket="objects", Key="k", Body=b"x" * MIB)


@check("ListObjectsV2 pages through the paginator")
def listing(emu):
    s3 = emu.client()
    s3.create_bucket(Bucket="listing")
    keys = sorted([f"in/{i:02d}" for i in range(23)] + ["in/ä b", "in/x+y"])
    for key in keys + ["other"]:
        s3.put_object(Bucket="listing", Key=key, Body=key.encode())
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="listing", Prefix="in/",
                                                                PaginationConfig={"PageSize": 10}))
    assert [p["KeyCount"] for p in pages] == [10, 10, 5], [p["KeyCount"] for p in pages]
    listed = [o["Key"] for p in pages for o in p["Contents"]]
    assert listed == keys, listed
    first = pages[0]["Contents"][0]
    assert first["Size"] == 5 and first["ETag"] == etag_of(b"in/00"), first
    after = s3.list_objects_v2(Bucket="listing", StartAfter="in/20", MaxKeys=2)
    assert [o["Key"] for o in after["Contents"]] == ["in/21", "in/22"] and after["IsTruncated"], after


@check("multipart upload: parts, ListMultipartUploads, complete, abort")
def multipart(emu):
    s3 = emu.client()
    s3.create_bucket(Bucket="multipart")
    upload = s3.create_multipart_upload(Bucket="multipart", Key="big.bin", ContentType="application/x-ndjson")
    uploads = s3.list_multipart_uploads(Bucket="multipart", Prefix="big")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("big.bin", upload["UploadId"])], uploads
    parts = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"c" * 1000]
    done = []
    for number, body in enumerate(parts, start=1):
        part = s3.upload_part(Bucket="multipart", Key="big.bin", UploadId=upload["UploadId"], PartNumber=number,
                              Body=body)
        assert part["ETag"] == etag_of(body), part
        done.append({"PartNumber": number, "ETag": part["ETag"]})
    completed = s3.complete_multipart_upload(Bucket="multipart", Key="big.bin", UploadId=upload["UploadId"],
                                             MultipartUpload={"Parts": done})
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert completed["ETag"] == f'"{digest}-3"' and completed["Key"] == "big.bin", completed
    got = s3.get_object(Bucket="multipart", Key="big.bin")
    assert got["Body"].read() == b"".join(parts) and got["ContentType"] == "application/x-ndjson"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="multipart")

    stale = s3.create_multipart_upload(Bucket="multipart", Key="stale")["UploadId"]
    small = s3.upload_part(Bucket="multipart", Key="stale", UploadId=stale, PartNumber=1, Body=b"x")["ETag"]
    expect_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket="multipart", Key="stale",
                 UploadId=stale, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small},
                                                            {"PartNumber": 2, "ETag": small}]})
    expect_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket="multipart", Key="stale",
                 UploadId=stale, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag_of(b"y")}]})
    s3.abort_multipart_upload(Bucket="multipart", Key="stale", UploadId=stale)
    expect_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket="multipart", Key="stale", UploadId=stale)
    expect_error("NoSuchUpload", 404, s3.upload_part, Bucket="multipart", Key="stale", UploadId=stale,
                 PartNumber=1, Body=b"x")


@check("s3transfer: parallel multipart upload and ranged parallel download")
def transfer(emu):
    s3 = emu.client()
    s3.create_bucket(Bucket="transfer")
    data = os.urandom(13 * MIB)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
    s3.upload_fileobj(io.BytesIO(data), "transfer", "file.bin", Config=config)
    assert s3.head_object(Bucket="transfer", Key="file.bin")["ETag"].endswith('-3"')
    out = io.BytesIO()
    s3.download_fileobj("transfer", "file.bin", out, Config=config)
    assert out.getvalue() == data


@check("the Bedrock API answers on the same port")
def bedrock_beside_s3(emu):
    assert emu.client("bedrock").list_model_invocation_jobs()["invocationJobSummaries"] == []


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    emu = Emulator(sys.argv[1])
    failures = 0
    try:
        for name, fn in CHECKS:
            try:
                fn(emu)
                print(f"ok   {name}")
            except Exception as error:  # report every failing check, not only the first
                failures += 1
                print(f"FAIL {name}: {type(error).__name__}: {error}")
    finally:
        emu.close()
    print(f"{len(CHECKS) - failures}/{len(CHECKS)} checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
