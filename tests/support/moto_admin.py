#!/usr/bin/env python3
"""Helper for tests/support/moto_server.cpp: administers a moto_server started with signature checking.

  moto_admin.py setup PORT                       -> prints "ACCESS_KEY_ID SECRET_ACCESS_KEY"
  moto_admin.py create-bucket PORT AKID SECRET NAME
  moto_admin.py assume-role PORT AKID SECRET ROLE  -> prints "ACCESS_KEY_ID SECRET_ACCESS_KEY SESSION_TOKEN"

`setup` spends moto's INITIAL_NO_AUTH_ACTION_COUNT (3) unauthenticated calls on: create an IAM user,
give it an allow-all inline policy, create its access key. From then on moto verifies SigV4.
"""
import json
import sys

import boto3


def client(service, port, akid="unused", secret="unused"):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret)


def main():
    command, port = sys.argv[1], sys.argv[2]
    if command == "setup":
        iam = client("iam", port)
        iam.create_user(UserName="batchgate-test")
        iam.put_user_policy(UserName="batchgate-test", PolicyName="allow-all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="batchgate-test")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif command == "create-bucket":
        akid, secret, name = sys.argv[3], sys.argv[4], sys.argv[5]
        client("s3", port, akid, secret).create_bucket(Bucket=name)
    elif command == "assume-role":
        akid, secret, role_name = sys.argv[3], sys.argv[4], sys.argv[5]
        allow_all = json.dumps({"Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
        iam = client("iam", port, akid, secret)
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName=role_name, PolicyName="allow-all", PolicyDocument=allow_all)
        creds = client("sts", port, akid, secret).assume_role(
            RoleArn=role["Arn"], RoleSessionName="batchgate-test")["Credentials"]
        print(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
