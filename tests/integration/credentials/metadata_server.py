#!/usr/bin/env python3
"""Stand-in for the EC2 instance metadata service (IMDSv2), the ECS/EKS container credentials endpoint and
STS AssumeRoleWithWebIdentity, for tests/integration/credentials (spec/aws-sigv4-s3.md §4.3-4.5, §5.2).

Usage: metadata_server.py PORT [PORTFILE]   (PORT 0: any free port, written to PORTFILE once listening)

IMDSv2:
  PUT  /latest/api/token                              needs x-aws-ec2-metadata-token-ttl-seconds; -> token
  GET  /latest/meta-data/iam/security-credentials/    needs the token (401 without) -> "test-role"
  GET  /latest/meta-data/iam/security-credentials/test-role
       -> {"Code":"Success", AccessKeyId "ASIAIMDS<n>", ..., Expiration now+lifetime}; n counts fetches
Container:
  GET  /container/creds                               needs "Authorization: container-token" (403 otherwise)
       -> {AccessKeyId "ASIACONT<n>", SecretAccessKey, Token, Expiration}
STS:
  POST /  Action=AssumeRoleWithWebIdentity            refuses an Authorization header; AccessKeyId is
       "ASIAWEB" + the WebIdentityToken (so a test sees which token was sent)
Control (tests):
  POST /control?mode=M&lifetime=S   mode: normal | code-error (IMDS 200 with Code) | no-role (404 listing)
                                    | v1-only (token PUT answers 405, GETs need no token)
  GET  /count/NAME                  how many times NAME (imds-token, imds-creds, container, sts) was served
"""
import datetime
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "imds-session-token-1"
state = {"mode": "normal", "lifetime": 3600}
counts = {}
lock = threading.Lock()


def bump(name):
    with lock:
        counts[name] = counts.get(name, 0) + 1
        return counts[name]


def expiration():
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=state["lifetime"])
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def do_PUT(self):
        self.body()
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if state["mode"] == "v1-only":
            return self.reply(405, "method not allowed")
        if not self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl header")
        bump("imds-token")
        return self.reply(200, TOKEN)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path.startswith("/count/"):
            with lock:
                return self.reply(200, str(counts.get(url.path[len("/count/"):], 0)))
        if url.path == "/container/creds":
            if self.headers.get("Authorization") != "container-token":
                return self.reply(403, '{"message":"bad authorization token"}', "application/json")
            n = bump("container")
            return self.reply(200, json.dumps({
                "AccessKeyId": f"ASIACONT{n}", "SecretAccessKey": "container-secret", "Token": "container-session",
                "Expiration": expiration(), "RoleArn": "arn:aws:iam::123456789012:role/task"}), "application/json")
        base = "/latest/meta-data/iam/security-credentials/"
        if url.path.startswith(base):
            if state["mode"] != "v1-only" and self.headers.get("x-aws-ec2-metadata-token") != TOKEN:
                return self.reply(401, "token required")
            role = url.path[len(base):]
            if role == "":
                if state["mode"] == "no-role":
                    return self.reply(404, "not found")
                return self.reply(200, "test-role")
            if role != "test-role":
                return self.reply(404, "not found")
            if state["mode"] == "code-error":
                return self.reply(200, json.dumps({"Code": "AssumeRoleUnauthorizedAccess",
                                                   "Message": "EC2 cannot assume the role test-role.",
                                                   "LastUpdated": "2024-01-15T12:00:00Z"}), "application/json")
            n = bump("imds-creds")
            return self.reply(200, json.dumps({
                "Code": "Success", "LastUpdated": "2024-01-15T12:00:00Z", "Type": "AWS-HMAC",
                "AccessKeyId": f"ASIAIMDS{n}", "SecretAccessKey": "imds-secret", "Token": "imds-session",
                "Expiration": expiration()}), "application/json")
        return self.reply(404, "not found")

    def do_POST(self):
        url = urlsplit(self.path)
        form = {k: v[0] for k, v in parse_qs(self.body(), keep_blank_values=True).items()}
        if url.path == "/control":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            state["mode"] = q.get("mode", state["mode"])
            state["lifetime"] = int(q.get("lifetime", state["lifetime"]))
            return self.reply(200, "ok")
        if url.path == "/" and form.get("Action") == "AssumeRoleWithWebIdentity":
            bump("sts")
            if self.headers.get("Authorization"):
                return self.reply(400, "<ErrorResponse><Error><Code>InvalidRequest</Code><Message>"
                                  "AssumeRoleWithWebIdentity must not be signed</Message></Error></ErrorResponse>",
                                  "text/xml")
            token = form.get("WebIdentityToken", "")
            if not token.startswith("jwt"):
                return self.reply(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken"
                                  "</Code><Message>Couldn't retrieve verification key from your identity provider"
                                  "</Message></Error></ErrorResponse>", "text/xml")
            return self.reply(200, f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials><AccessKeyId>ASIAWEB{token}</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>
      <SessionToken>web-session-{form.get("RoleSessionName", "")}</SessionToken><Expiration>{expiration()}</Expiration></Credentials>
    <SubjectFromWebIdentityToken>system:serviceaccount:default:batchgate</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>""", "text/xml")
        return self.reply(404, "not found")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 2:
        with open(sys.argv[2] + ".tmp", "w") as out:
            out.write(str(server.server_address[1]))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    server.serve_forever()


if __name__ == "__main__":
    main()
