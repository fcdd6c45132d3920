#!/usr/bin/python3
"""errata client wrapper for boto3 (Debian's python3-boto3): the one S3
operation ERRATA_METHOD ERRATA_PATH names, through botocore's standard retry
mode (3 attempts in all), path-style addressing, against ERRATA_BASE_URL. An error
is printed as boto3 shows it ("An error occurred (SlowDown) when calling the
GetObject operation ..."), exit 1.

Two knobs make the wrong clients the tests need: ERRATA_S3_ATTEMPTS (default
3; 1 gives up at once) and ERRATA_S3_NO_WAIT=1 (botocore's backoff set to
zero: it retries at once)."""
import os, sys

import boto3
import botocore.retries.standard
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

base, method, path = os.environ["ERRATA_BASE_URL"], os.environ["ERRATA_METHOD"], os.environ["ERRATA_PATH"]
if os.environ.get("ERRATA_S3_NO_WAIT") == "1":
    botocore.retries.standard.ExponentialBackoff.delay_amount = lambda self, context: 0
attempts = int(os.environ.get("ERRATA_S3_ATTEMPTS", "3"))
s3 = boto3.client("s3", endpoint_url=base, region_name="us-east-1",
                  aws_access_key_id="AKIAERRATAEXAMPLE0000", aws_secret_access_key="errata-example-secret",
                  config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "total_max_attempts": attempts},
                                connect_timeout=5, read_timeout=10))
parts = path.strip("/").split("/", 1)
bucket, key = parts[0], parts[1] if len(parts) > 1 else None
calls = {
    ("GET", True): lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
    ("PUT", True): lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"errata"),
    ("DELETE", True): lambda: s3.delete_object(Bucket=bucket, Key=key),
    ("GET", False): lambda: s3.list_objects_v2(Bucket=bucket),
    ("PUT", False): lambda: s3.create_bucket(Bucket=bucket),
    ("DELETE", False): lambda: s3.delete_bucket(Bucket=bucket),
}
call = calls.get((method, key is not None))
if not call:
    sys.exit("sdk_boto3_s3: no S3 call for %s %s" % (method, path))
try:
    call()
except ClientError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
except BotoCoreError as e:
    print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
    sys.exit(1)
print("ok")
